"""Rule kinds: each rule declares one, and the engine and the API call each kind its own way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg

import fkaudit
from fkaudit.api import read_catalog
from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.engine import run_rules
from fkaudit.findings import Finding, Severity
from fkaudit.rules import KINDS, DataRule, ForeignKeyRule, MetaRule, all_rules
from fkaudit.rules.fk502_implied_foreign_key import ImpliedForeignKey

TABLES = [
    "CREATE TABLE p (id int PRIMARY KEY)",
    "CREATE TABLE c (p_id int CONSTRAINT c_first REFERENCES p,"
    " q_id int CONSTRAINT c_second REFERENCES p)",
]


def test_every_rule_declares_exactly_one_kind() -> None:
    for rule in all_rules():
        assert sum(issubclass(rule, kind) for kind in KINDS) == 1, rule.code
    kinds = {rule.code: next(k for k in KINDS if issubclass(rule, k)) for rule in all_rules()}
    assert kinds["FK001"] is MetaRule
    assert kinds["FK501"] is kinds["FK502"] is DataRule
    assert sum(kind is ForeignKeyRule for kind in kinds.values()) == 14


class CountingRule(ForeignKeyRule):
    code = "FK998"
    name = "counts-its-calls"
    default_severity = Severity.INFO

    def start(self, catalog: Catalog) -> None:
        self.started = getattr(self, "started", 0) + 1
        self.seen: list[str] = []

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        self.seen.append(fk.name)
        yield self.finding_for(catalog, fk, f"saw {fk.name}")


class CrashesOnTheSecondKey(ForeignKeyRule):
    code = "FK997"
    name = "crashes-on-the-second-key"
    default_severity = Severity.ERROR

    def start(self, catalog: Catalog) -> None:
        self.calls = 0

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        self.calls += 1
        if self.calls == 2:
            raise KeyError("second")
        yield self.finding_for(catalog, fk, "first")


def test_the_engine_loops_over_the_inspected_keys_for_a_per_key_rule(
    conn: psycopg.Connection[Any],
) -> None:
    for statement in TABLES:
        conn.execute(statement)
    catalog = read_catalog(conn)
    counting = CountingRule()
    findings, errors = run_rules(catalog, [counting])
    assert counting.started == 1 and errors == ()
    assert sorted(counting.seen) == ["c_first", "c_second"]
    assert [f.message for f in findings] == ["saw c_first", "saw c_second"]


def test_a_per_key_rule_that_crashes_on_one_key_reports_nothing(
    conn: psycopg.Connection[Any],
) -> None:
    """Half a rule's findings would read as its complete verdict: it gives an error instead."""
    for statement in TABLES:
        conn.execute(statement)
    catalog = read_catalog(conn)
    findings, errors = run_rules(catalog, [CrashesOnTheSecondKey(), CountingRule()])
    assert [f.code for f in findings] == ["FK998", "FK998"]  # the other rule still ran
    assert [e.code for e in errors] == ["FK997"]
    assert "KeyError: 'second'" in errors[0].message


def test_implied_keys_are_flagged_and_never_called_clean(
    conn: psycopg.Connection[Any], db: str
) -> None:
    """An implied key has no constraint to validate: an exact scan that finds no orphan must
    not put it among the keys the fix script may VALIDATE, as it does a real one."""
    for statement in (
        "CREATE TABLE customers (id bigint PRIMARY KEY)",
        "CREATE TABLE orders (customer_id bigint, p_id bigint"
        " CONSTRAINT orders_p REFERENCES customers)",
    ):
        conn.execute(statement)
    catalog = read_catalog(conn, implied=True)
    (implied,) = ImpliedForeignKey().implied_keys(catalog)
    assert implied.implied and implied.name == "fk_orders_customer_id"
    assert not any(fk.implied for fk in catalog.foreign_keys)
    report = fkaudit.audit(db, select=["FK501", "FK502"], orphans="all")
    assert [(f.code, f.constraint) for f in report.findings] == [("FK502", "fk_orders_customer_id")]
    assert report.findings[0].details["orphan_count"] == 0
    assert report.scanned_clean == {("public", "orders", "orders_p")}
