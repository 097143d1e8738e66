"""Configuration files, suppressions and rule options as a user meets them on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from tests.test_cli import SCHEMA

# SCHEMA fires: FK101 + FK201 on app.orders.orders_customer_id_fkey, FK303 on app.notes,
# FK301 on audit_log.events.


@pytest.fixture
def shop(conn: psycopg.Connection[Any], db: str, tmp_path: Path, monkeypatch: Any) -> str:
    conn.execute(SCHEMA)
    monkeypatch.chdir(tmp_path)  # config discovery starts here, away from the repository
    return db


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def found(result: Any) -> set[tuple[str, str]]:
    return {(f["code"], f["constraint"]) for f in json.loads(result.output)["findings"]}


def test_the_file_is_found_upward_and_flags_override_it(
    shop: str, tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fkaudit]\nselect = ["FK1", "FK3"]\nfail-on = "error"\nexclude = ["audit_log.*"]\n',
        encoding="utf-8",
    )
    nested = tmp_path / "src" / "app"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = run("check", shop, "--format", "json")
    assert found(result) == {("FK101", "orders_customer_id_fkey"), ("FK303", "fk_notes_order")}
    assert result.exit_code == 0  # only warnings, and the file says fail-on = error
    result = run("check", shop, "--format", "json", "--fail-on", "warning", "--select", "FK2")
    assert found(result) == {("FK201", "orders_customer_id_fkey")}
    assert result.exit_code == 1


def test_rule_severity_options_and_per_rule_excludes(
    shop: str, tmp_path: Path, conn: psycopg.Connection[Any]
) -> None:
    conn.execute("ANALYZE")  # never-analyzed tables have no size and are not demoted
    config = tmp_path / "ci.toml"
    config.write_text(
        '[rules.FK101]\nmin_rows = 1000\n[rules.FK303]\nseverity = "error"\n'
        '[rules.FK201]\nexclude = ["app.orders.*"]\n',
        encoding="utf-8",
    )
    result = run("check", shop, "--format", "json", "--config", str(config))
    by_code = {f["code"]: f for f in json.loads(result.output)["findings"]}
    assert by_code["FK101"]["severity"] == "info"  # an empty child: demoted below min_rows
    assert "1 sequential scan" in by_code["FK101"]["message"]
    assert by_code["FK303"]["severity"] == "error"
    assert "FK201" not in by_code


@pytest.mark.parametrize(
    "text, message",
    [
        ("selct = []\n", "fkaudit.toml: unknown key 'selct' (did you mean 'select'?)"),
        ("[rules.FK101]\nmin_row = 5\n", "did you mean 'min_rows'?"),
        ("[rules.FK101]\nmin_rows = 'many'\n", "rules.FK101.min_rows"),
        ('fail-on = "fatal"\n', "fail-on: expected one of error, warning, info, got 'fatal'"),
        ("[rules.FK202]\nenabled = true\n", "rules.FK202: FK202 needs a naming convention"),
        ('[rules.FK202]\nconvention = "fk_{tabel}"\n', "rules.FK202: FK202 convention"),
        ("[rules.FK101]\nmin_rows = -5\n", "rules.FK101: min_rows must be 0 or more"),
        ("[rules.FK306]\nmax_tables = 0\n", "rules.FK306: max_tables must be 1 or more"),
        ("select = [", "invalid TOML"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    shop: str, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "fkaudit.toml").write_text(text, encoding="utf-8")
    result = run("check", shop)
    assert result.exit_code == 2
    assert result.output.startswith("fkaudit: error: fkaudit.toml: ")  # the file, then the key
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_suppressions_are_counted_and_shown_on_request(
    shop: str, conn: psycopg.Connection[Any]
) -> None:
    conn.execute(
        "COMMENT ON CONSTRAINT orders_customer_id_fkey ON app.orders IS "
        "'fkaudit:ignore FK101 FK201 -- reviewed'"
    )
    result = run("check", shop)
    assert "orders_customer_id_fkey" not in result.output
    assert "2 suppressed" in result.output
    result = run("check", shop, "--show-suppressed")
    assert "suppressed by fkaudit:ignore comments" in result.output
    assert "app.orders.orders_customer_id_fkey" in result.output
    document = json.loads(run("check", shop, "--format", "json", "--show-suppressed").output)
    assert {f["code"] for f in document["suppressed"]} == {"FK101", "FK201"}
    assert document["summary"]["suppressed"] == 2


def test_rules_shows_the_effective_configuration(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".fkaudit.toml").write_text(
        'ignore = ["FK306"]\n[rules.FK202]\nconvention = "fk_{table}"\n'
        '[rules.FK101]\nseverity = "error"\n',
        encoding="utf-8",
    )
    result = run("rules")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[3:] if line.strip()}
    assert "yes" in lines["FK202"] and "convention='fk_{table}'" in lines["FK202"]
    assert "no" in lines["FK306"].split() and "no" in lines["FK602"].split()
    assert "error" in lines["FK101"].split()
    assert ".fkaudit.toml" in result.output.splitlines()[0]


def test_flags_and_file_that_leave_no_rule_are_an_error(shop: str, tmp_path: Path) -> None:
    (tmp_path / "fkaudit.toml").write_text('ignore = ["FK1"]\n', encoding="utf-8")
    result = run("check", shop, "--select", "FK101")
    assert result.exit_code == 2
    assert "no rule left to run" in result.output


def test_fk201_follows_the_convention_even_when_fk202_does_not_run(
    shop: str, tmp_path: Path
) -> None:
    (tmp_path / "fkaudit.toml").write_text(
        '[rules.FK202]\nconvention = "fk_{table}_{referenced_table}"\n', encoding="utf-8"
    )
    document = json.loads(run("check", shop, "--format", "json", "--select", "FK201").output)
    (finding,) = document["findings"]
    assert finding["details"]["suggested_name"] == "fk_orders_customers"


def test_stale_suppressions_are_judged_against_the_configured_rules(
    shop: str, tmp_path: Path, conn: psycopg.Connection[Any]
) -> None:
    (tmp_path / "fkaudit.toml").write_text('ignore = ["FK306"]\n', encoding="utf-8")
    conn.execute("CREATE INDEX ON app.orders (customer_id)")
    conn.execute("ALTER TABLE app.orders RENAME CONSTRAINT orders_customer_id_fkey TO fk_o_c")
    conn.execute("COMMENT ON TABLE app.orders IS 'fkaudit:ignore -- nothing left to hide'")
    conn.execute("COMMENT ON TABLE app.customers IS 'fkaudit:ignore FK306 -- rule turned off'")
    document = json.loads(run("check", shop, "--format", "json").output)
    stale = {(f["table"], f["constraint"]) for f in document["findings"] if f["code"] == "FK001"}
    assert stale == {("orders", None)}
