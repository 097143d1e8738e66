"""The command line on a real database: output formats, selection, filters, exit codes."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.rules import all_rules

SCHEMA = """
CREATE SCHEMA app;
CREATE SCHEMA audit_log;
CREATE TABLE app.customers (id int PRIMARY KEY);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int REFERENCES app.customers);
CREATE TABLE app.notes (order_id int CONSTRAINT fk_notes_order
    REFERENCES app.orders ON DELETE CASCADE);
CREATE INDEX ON app.notes (order_id);
CREATE TABLE audit_log.events (customer_id int NOT NULL CONSTRAINT fk_events_customer
    REFERENCES app.customers ON DELETE SET NULL);
CREATE INDEX ON audit_log.events (customer_id);
"""


@pytest.fixture
def shop(conn: psycopg.Connection[Any], db: str) -> str:
    conn.execute(SCHEMA)
    return db


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def codes(output: str) -> set[tuple[str, str]]:
    return {(f["code"], f["constraint"]) for f in json.loads(output)["findings"]}


def test_json_document(shop: str) -> None:
    result = invoke("check", shop, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert codes(result.output) == {
        ("FK101", "orders_customer_id_fkey"),
        ("FK201", "orders_customer_id_fkey"),
        ("FK303", "fk_notes_order"),
        ("FK301", "fk_events_customer"),
    }
    first = document["findings"][0]
    for key in (
        "code",
        "name",
        "severity",
        "schema",
        "table",
        "constraint",
        "columns",
        "message",
        "fix",
        "fingerprint",
    ):
        assert key in first
    summary = document["summary"]
    assert summary["by_severity"] == {"error": 1, "warning": 3, "info": 0}
    assert summary["foreign_keys_inspected"] == 3
    assert summary["tables_inspected"] == 4
    assert summary["errors"] == []


def test_findings_are_ordered_deterministically(shop: str) -> None:
    first = json.loads(invoke("check", shop, "--format", "json").output)["findings"]
    second = json.loads(invoke("check", shop, "--format", "json").output)["findings"]
    assert first == second
    keys = [(f["schema"], f["table"], f["constraint"], f["code"]) for f in first]
    assert keys == sorted(keys)


def test_table_output_groups_by_table_and_summarises(shop: str) -> None:
    result = invoke("check", shop)
    assert result.exit_code == 1
    assert "app.orders" in result.output and "audit_log.events" in result.output
    # Wider than 80 columns: the statement is on lines of its own under its finding, broken
    # at spaces only.
    words = " ".join(result.output.split())
    fix = (
        'fix: CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_customer_id_idx" ON "app"."orders" '
        '("customer_id");'
    )
    assert fix in words, result.output
    assert words.index("FK101 orders_customer_id_fkey") < words.index(fix)
    assert (
        "4 findings (1 error, 3 warnings): FK101 \u00d71, FK201 \u00d71, FK301 \u00d71, "
        "FK303 \u00d71 — 3 foreign keys on 4 tables"
    ) in words


@pytest.mark.parametrize(
    ("args", "expected_codes", "exit_code"),
    [
        (["--select", "FK2"], {"FK201"}, 1),
        (["--select", "FK101,FK301"], {"FK101", "FK301"}, 1),
        (["--select", "auto-named-foreign-key"], {"FK201"}, 1),
        (["--ignore", "FK1", "--ignore", "FK2"], {"FK301", "FK303"}, 1),
        (["--fail-on", "error", "--select", "FK1"], {"FK101"}, 0),
        (["--fail-on", "error"], {"FK101", "FK201", "FK301", "FK303"}, 1),
        (["--schema", "audit_*"], {"FK301"}, 1),
        (["--exclude-schema", "audit_log", "--select", "FK3"], {"FK303"}, 1),
        (["--table", "app.notes"], {"FK303"}, 1),
        (["--exclude-table", "orders", "--exclude-table", "events"], {"FK303"}, 1),
        (["--table", "nothing_matches"], set(), 0),
    ],
)
def test_selection_filters_and_exit_codes(
    shop: str, args: list[str], expected_codes: set[str], exit_code: int
) -> None:
    result = invoke("check", shop, "--format", "json", *args)
    assert {code for code, _ in codes(result.output)} == expected_codes
    assert result.exit_code == exit_code


def test_dsn_from_database_url(shop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", shop)
    result = invoke("check", "--format", "json", "--select", "FK301")
    assert codes(result.output) == {("FK301", "fk_events_customer")}


def test_rules_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    for rule in all_rules():
        assert rule.code in result.output and rule.name in result.output


@pytest.mark.parametrize("selector", ["FK101", "fk101", "unindexed-foreign-key"])
def test_explain_prints_the_rule_documentation(selector: str) -> None:
    result = invoke("explain", selector)
    assert result.exit_code == 0
    assert result.output.startswith("FK101 unindexed-foreign-key (default severity: warning)")
    assert "How to fix" in result.output
