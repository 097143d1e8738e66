"""Rule selectors: one reading of codes, prefixes and names, one "did you mean" (no server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fkaudit import selectors
from fkaudit.config import ConfigError, load_config
from fkaudit.engine import select_rules
from fkaudit.errors import FkauditError
from fkaudit.rules import all_rules, rule_by_code

PACKAGE = Path(__file__).resolve().parent.parent / "fkaudit"


def test_split_reads_repeated_options_and_comma_lists() -> None:
    assert selectors.split(["FK1, FK3", "duplicate-foreign-key", " ,", ""]) == [
        "FK1",
        "FK3",
        "duplicate-foreign-key",
    ]


@pytest.mark.parametrize(
    ("selector", "picks"),
    [
        ("FK101", True),
        ("fk1", True),
        (" FK10 ", True),
        ("FK", True),
        ("unindexed-foreign-key", True),
        ("Unindexed-Foreign-Key", True),
        ("FK102", False),
        ("101", False),
        ("unindexed", False),
        ("unindexed_foreign_key", False),
    ],
)
def test_a_selector_is_a_code_prefix_or_the_name(selector: str, picks: bool) -> None:
    assert selectors.matches(selector, "FK101", "unindexed-foreign-key") is picks


def test_only_the_code_or_the_name_names_a_rule_exactly() -> None:
    assert selectors.names_exactly(" fk602 ", "FK602", "redundant-foreign-key-index")
    assert selectors.names_exactly(
        "REDUNDANT-foreign-key-index", "FK602", "redundant-foreign-key-index"
    )
    assert not selectors.names_exactly("FK60", "FK602", "redundant-foreign-key-index")


def test_find_looks_a_rule_up_by_code_or_name() -> None:
    rules = all_rules()
    assert selectors.find("fk302", rules) is selectors.find(
        "set-default-without-valid-default", rules
    )
    assert selectors.find("FK3", rules) is None  # a prefix names no single rule
    assert rule_by_code(" FK101 ") is selectors.find("unindexed-foreign-key", rules)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("FK1011", "FK101"),
        ("fk1011", "FK101"),  # case does not hide the suggestion
        ("duplicate-foreign-keys", "duplicate-foreign-key"),
        ("Cascade_Cycle", "cascade-cycle"),
        ("zzz", None),
    ],
)
def test_suggestions_ignore_case_and_are_spelt_as_the_rule_is(
    typo: str, suggestion: str | None
) -> None:
    assert selectors.suggest(typo, all_rules()) == suggestion


def test_the_unknown_rule_message_suggests_then_lists_the_codes() -> None:
    message = selectors.unknown_rule("FK1011", all_rules())
    assert message.startswith("unknown rule 'FK1011' (did you mean 'FK101'? known rules: FK001, ")
    assert selectors.unknown_rule("zzz", all_rules()).startswith("unknown rule 'zzz' (known rules:")


def test_comment_tokens_are_checked_by_shape() -> None:
    for token in ("FK101", "fk1", "unindexed-foreign-key", "no-such-rule"):
        assert selectors.well_formed_in_comment(token), token
    for token in ("FK1O1", "FK1011", "unindexed_foreign_key", "=FK101", "unindexed", "FK"):
        assert not selectors.well_formed_in_comment(token), token


def test_command_line_and_configuration_suggest_the_same(tmp_path: Path) -> None:
    """Both read selectors through one module, so a typo gets one answer wherever it is."""
    with pytest.raises(FkauditError, match="did you mean 'FK101'"):
        select_rules(["fk1011"])
    path = tmp_path / "fkaudit.toml"
    path.write_text('select = ["fk1011"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'FK101'"):
        load_config(path)


def test_did_you_mean_is_computed_in_one_place() -> None:
    users = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "difflib" in path.read_text(encoding="utf-8")
    )
    assert users == ["selectors.py"]
