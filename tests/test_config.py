"""Configuration files: discovery, parsing and one-line errors that say what to fix.

Pure file parsing: no database. Real rules are used where the behaviour depends on them (FK101's
`min_rows` option, FK602 being opt-in); a small fake rule list covers option types no shipped rule
has yet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from fkaudit.catalog.model import Catalog
from fkaudit.config import Config, ConfigError, RuleConfig, find_config_file, load_config
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding, Severity
from fkaudit.rules import Rule


class FakeRule(Rule):
    """A rule with one option of each type, for the type checks."""

    code = "FK901"
    name = "fake-rule"
    default_severity = Severity.WARNING
    option_defaults: ClassVar[Mapping[str, Any]] = {
        "limit": 4,
        "style": "",
        "ratio": 0.5,
        "strict": False,
        "names": ["a"],
    }

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        return iter(())


class OtherFakeRule(FakeRule):
    code = "FK902"
    name = "other-fake-rule"
    option_defaults: ClassVar[Mapping[str, Any]] = {}


FAKE_RULES = (FakeRule, OtherFakeRule)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the temporary directory, so messages show paths relative to it, as users see them."""
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_error(path: Path, **kwargs: Any) -> str:
    """Load `path`, expect a ConfigError, and return its message after checking it is one line."""
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert isinstance(caught.value, FkauditError)
    return message


# --- discovery --------------------------------------------------------------------------------


def test_discovery_order_in_one_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fkaudit]\n")
    assert find_config_file(tmp_path) == tmp_path / "pyproject.toml"
    write(tmp_path / ".fkaudit.toml", "")
    assert find_config_file(tmp_path) == tmp_path / ".fkaudit.toml"
    write(tmp_path / "fkaudit.toml", "")
    assert find_config_file(tmp_path) == tmp_path / "fkaudit.toml"


def test_discovery_searches_upward_and_the_nearest_file_wins(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    write(tmp_path / "fkaudit.toml", "")
    assert find_config_file(deep) == tmp_path / "fkaudit.toml"
    write(tmp_path / "a" / ".fkaudit.toml", "")
    assert find_config_file(deep) == tmp_path / "a" / ".fkaudit.toml"
    write(deep / "pyproject.toml", "[tool.fkaudit]\nselect = ['FK1']\n")
    assert find_config_file(deep) == deep / "pyproject.toml"


def test_discovery_skips_a_pyproject_without_an_fkaudit_table(tmp_path: Path) -> None:
    write(tmp_path / "fkaudit.toml", "")
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'x'\n[tool.ruff]\n")
    assert find_config_file(tmp_path / "sub") == tmp_path / "fkaudit.toml"


def test_discovery_starts_at_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "fkaudit.toml", "fail-on = 'error'\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert find_config_file() == tmp_path / "fkaudit.toml"
    config = load_config()
    assert config.path == tmp_path / "fkaudit.toml"
    assert config.fail_on is Severity.ERROR


def test_no_file_gives_the_empty_config(tmp_path: Path) -> None:
    above = find_config_file(tmp_path.parent)  # a stray file above the temporary directory
    if above is None:
        assert find_config_file(tmp_path) is None
        assert load_config(start=tmp_path) == Config()
    else:
        assert find_config_file(tmp_path) == above
    assert Config().rule("FK101") == RuleConfig()


def test_an_explicit_path_overrides_discovery(tmp_path: Path) -> None:
    write(tmp_path / "fkaudit.toml", "fail-on = 'error'\n")
    other = write(tmp_path / "elsewhere" / "ci.toml", "fail-on = 'info'\n")
    config = load_config(other, start=tmp_path)
    assert config.path == other
    assert config.fail_on is Severity.INFO


def test_an_explicit_pyproject_without_the_table_is_empty(tmp_path: Path) -> None:
    pyproject = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_config(pyproject) == Config(path=pyproject)


def test_a_missing_explicit_file_is_an_error() -> None:
    message = config_error(Path("nope.toml"))
    assert message == "nope.toml: config file not found"


# --- parsing ----------------------------------------------------------------------------------


def test_every_key_is_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "fkaudit.toml",
        """
        select = ["FK1", "unindexed-foreign-key"]
        ignore = ["FK103"]
        fail-on = "ERROR"
        schemas = ["app_*", "public"]
        exclude-schemas = ["*_archive"]
        exclude = ["public.audit_*", "public.orders.orders_legacy_fkey"]

        [rules.FK101]
        severity = "error"
        min_rows = 1000
        exclude = ["public.tiny_*"]

        [rules.FK602]
        enabled = true

        [rules.FK103]
        enabled = false
        """.replace("\n        ", "\n"),
    )
    config = load_config(path)
    assert config == Config(
        path=path,
        select=("FK1", "unindexed-foreign-key"),
        ignore=("FK103",),
        fail_on=Severity.ERROR,
        schemas=("app_*", "public"),
        exclude_schemas=("*_archive",),
        exclude=("public.audit_*", "public.orders.orders_legacy_fkey"),
        rules={
            "FK101": RuleConfig(
                severity=Severity.ERROR, options={"min_rows": 1000}, exclude=("public.tiny_*",)
            ),
            "FK602": RuleConfig(enabled=True),
            "FK103": RuleConfig(enabled=False),
        },
    )
    assert config.rule("FK301") == RuleConfig()


def test_pyproject_keys_live_under_tool_fkaudit(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pyproject.toml",
        "[project]\nname = 'x'\n\n[tool.fkaudit]\nignore = ['FK6']\n\n"
        "[tool.fkaudit.rules.FK101]\nmin_rows = 5\n",
    )
    config = load_config(path)
    assert config.ignore == ("FK6",)
    assert config.rule("FK101").options == {"min_rows": 5}


@pytest.mark.parametrize("key", ["unindexed-foreign-key", "fk101", "Unindexed-Foreign-Key"])
def test_a_rule_section_named_by_name_is_keyed_by_code(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f'[rules."{key}"]\nseverity = "info"\n')
    assert load_config(path).rules == {"FK101": RuleConfig(severity=Severity.INFO)}


def test_the_same_rule_configured_by_code_and_name_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "fkaudit.toml",
        "[rules.FK101]\nmin_rows = 1\n[rules.unindexed-foreign-key]\nmin_rows = 2\n",
    )
    message = config_error(path)
    assert "fkaudit.toml" in message
    assert "rules.unindexed-foreign-key" in message
    assert "FK101 is configured twice" in message


@pytest.mark.parametrize("selector", ["FK1", "fk10", "FK101", "unindexed-foreign-key", "FK"])
def test_valid_selectors(tmp_path: Path, selector: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f"select = [{selector!r}]\nignore = [{selector!r}]\n")
    config = load_config(path)
    assert config.select == config.ignore == (selector,)


# --- option types -----------------------------------------------------------------------------


def test_a_real_rule_option_accepts_its_type(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "[rules.FK101]\nmin_rows = 250\n")
    assert load_config(path).rule("FK101").options == {"min_rows": 250}


def test_a_real_string_option_rejects_an_integer(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "[rules.FK202]\nconvention = 'fk_{table}_{columns}'\n")
    assert load_config(path).rule("FK202").options == {"convention": "fk_{table}_{columns}"}
    write(path, "[rules.FK202]\nconvention = 1\n")
    assert (
        config_error(path)
        == "fkaudit.toml: rules.FK202.convention: expected a string, got integer 1"
    )


@pytest.mark.parametrize(
    ("value", "got"),
    [("true", "got boolean true"), ('"10"', "got '10'"), ("2.5", "got float 2.5")],
)
def test_an_int_option_rejects_bool_string_and_float(tmp_path: Path, value: str, got: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f"[rules.FK101]\nmin_rows = {value}\n")
    message = config_error(path)
    assert message == f"fkaudit.toml: rules.FK101.min_rows: expected an integer, {got}"


@pytest.mark.parametrize(
    ("option", "good", "bad", "expected"),
    [
        ("style", '"fk_{table}_{columns}"', "3", "expected a string, got integer 3"),
        ("strict", "true", '"yes"', "expected a boolean, got 'yes'"),
        ("ratio", "1", "true", "expected a float, got boolean true"),
        ("names", '["x", "y"]', '["x", 1]', "expected an array of strings, got array"),
        ("names", "[]", '"x"', "expected an array of strings, got 'x'"),
    ],
)
def test_option_types_follow_the_default(
    tmp_path: Path, option: str, good: str, bad: str, expected: str
) -> None:
    path = write(tmp_path / "fkaudit.toml", f"[rules.fake-rule]\n{option} = {good}\n")
    options = load_config(path, rules=FAKE_RULES).rule("FK901").options
    assert list(options) == [option]
    write(path, f"[rules.fake-rule]\n{option} = {bad}\n")
    message = config_error(path, rules=FAKE_RULES)
    assert message.startswith(f"fkaudit.toml: rules.fake-rule.{option}: {expected}")


def test_rule_keys_have_fixed_types(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "[rules.FK602]\nenabled = 1\n")
    assert config_error(path) == (
        "fkaudit.toml: rules.FK602.enabled: expected a boolean, got integer 1"
    )
    write(path, "[rules.FK602]\nexclude = 'public.*'\n")
    assert config_error(path) == (
        "fkaudit.toml: rules.FK602.exclude: expected an array of strings, got 'public.*'"
    )


@pytest.mark.parametrize("key", ["select", "ignore", "schemas", "exclude-schemas", "exclude"])
def test_list_keys_reject_a_bare_string(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f"{key} = 'FK101'\n")
    assert config_error(path) == f"fkaudit.toml: {key}: expected an array of strings, got 'FK101'"


# --- errors name the file, the key and a suggestion -------------------------------------------


def test_unknown_top_level_key_suggests_the_close_one(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fkaudit]\nselct = ['FK1']\n")
    message = config_error(Path("pyproject.toml"))
    assert message == "pyproject.toml: unknown key 'tool.fkaudit.selct' (did you mean 'select'?)"


def test_unknown_key_without_a_close_match_has_no_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "colour = 'red'\n")
    message = config_error(path)
    assert "unknown key 'colour'" in message
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("FK1O1", "FK101"), ("unindexed-foreign-kye", "unindexed-foreign-key")],
)
def test_unknown_rule_suggests_the_close_one(tmp_path: Path, key: str, suggestion: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f'[rules."{key}"]\nseverity = "info"\n')
    message = config_error(path)
    assert message == f"fkaudit.toml: rules.{key}: unknown rule (did you mean '{suggestion}'?)"


def test_unknown_option_suggests_and_lists_the_options(tmp_path: Path) -> None:
    path = write(tmp_path / ".fkaudit.toml", "[rules.FK101]\nmin_row = 10\n")
    message = config_error(path)
    assert message.startswith(
        ".fkaudit.toml: rules.FK101.min_row: unknown option (did you mean 'min_rows'?; "
        "FK101 options: "
    )
    assert "min_rows)" in message or "min_rows," in message


def test_a_misspelt_rule_key_is_suggested_too(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "[rules.fake-rule]\nseverty = 'info'\n")
    message = config_error(path, rules=FAKE_RULES)
    assert "rules.fake-rule.severty: unknown option (did you mean 'severity'?;" in message


def test_unknown_option_of_a_rule_without_options(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "[rules.FK902]\nlimit = 3\n")
    message = config_error(path, rules=FAKE_RULES)
    assert message == "fkaudit.toml: rules.FK902.limit: unknown option (FK902 has no options)"


def test_bad_fail_on(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "fail-on = 'fatal'\n")
    assert config_error(path) == (
        "fkaudit.toml: fail-on: expected one of error, warning, info, got 'fatal'"
    )


def test_bad_rule_severity(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.fkaudit.rules.FK101]\nseverity = 2\n")
    message = config_error(path)
    assert message.endswith(
        "pyproject.toml: tool.fkaudit.rules.FK101.severity: "
        "expected one of error, warning, info, got integer 2"
    )


@pytest.mark.parametrize(
    ("key", "selector", "hint"),
    [
        ("select", "FK1011", " (did you mean 'FK101'?)"),
        ("ignore", "unindexed-foreign-kye", " (did you mean 'unindexed-foreign-key'?)"),
        ("select", "FK9", ""),
        ("ignore", "", ""),
    ],
)
def test_bad_selector(tmp_path: Path, key: str, selector: str, hint: str) -> None:
    path = write(tmp_path / "fkaudit.toml", f"{key} = ['FK1', {selector!r}]\n")
    assert config_error(path) == f"fkaudit.toml: {key}: unknown rule {selector!r}{hint}"


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", "select = [FK101\n")
    message = config_error(path)
    assert message.startswith("fkaudit.toml: invalid TOML: ")
    assert "line 1" in message


def test_invalid_pyproject_is_reported_during_discovery(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.fkaudit\n")
    with pytest.raises(ConfigError) as caught:
        find_config_file(tmp_path)
    assert str(caught.value).startswith("pyproject.toml: invalid TOML: ")


def test_paths_in_messages_are_relative_under_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "conf" / "fkaudit.toml", "fail-on = 'fatal'\n")
    assert config_error(path).startswith(f"{Path('conf') / 'fkaudit.toml'}: fail-on:")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert config_error(path).startswith(f"{path.resolve()}: fail-on:")


def test_odd_keys_are_quoted_and_stay_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "fkaudit.toml", '[rules.FK101]\n"min\\nrows" = 1\n')
    assert 'rules.FK101."min\\nrows": unknown option' in config_error(path)


# --- exclusions -------------------------------------------------------------------------------


def test_excludes_matches_tables_constraints_and_per_rule_patterns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "fkaudit.toml",
        "exclude = ['public.audit_*', 'app.orders.*_legacy_fkey']\n"
        "[rules.FK101]\nexclude = ['app.tiny_*']\n",
    )
    config = load_config(path)
    # a table glob covers the table and every constraint on it
    assert config.excludes("FK301", "public", "audit_log", None)
    assert config.excludes("FK301", "public", "audit_log", "audit_log_user_fkey")
    assert not config.excludes("FK301", "public", "orders", "orders_user_fkey")
    # a constraint glob covers only matching constraints
    assert config.excludes("FK301", "app", "orders", "orders_customer_legacy_fkey")
    assert not config.excludes("FK301", "app", "orders", "orders_customer_fkey")
    assert not config.excludes("FK301", "app", "orders", None)
    # a rule's own patterns apply to that rule only
    assert config.excludes("FK101", "app", "tiny_lookup", "tiny_lookup_kind_fkey")
    assert not config.excludes("FK102", "app", "tiny_lookup", "tiny_lookup_kind_fkey")
    # matching is case-sensitive, like PostgreSQL's quoted identifiers
    assert not config.excludes("FK301", "public", "AUDIT_log", None)
