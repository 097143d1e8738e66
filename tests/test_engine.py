"""Engine behaviour on a real catalog: isolation of crashing rules, selection, fingerprints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest

import fkaudit
from fkaudit.api import read_catalog
from fkaudit.catalog.model import Catalog
from fkaudit.config import Config, RuleConfig
from fkaudit.engine import run_rules, select_rules
from fkaudit.errors import EXIT_ERROR, FkauditError
from fkaudit.findings import Finding, Severity
from fkaudit.rules import CatalogRule, all_rules

TABLES = [
    "CREATE TABLE p (id int PRIMARY KEY)",
    "CREATE TABLE c (p_id int REFERENCES p)",
]


class CrashingRule(CatalogRule):
    code = "FK999"
    name = "always-crashes"
    default_severity = Severity.ERROR

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        yield from ()
        raise ZeroDivisionError("boom")


def test_a_crashing_rule_is_reported_and_the_others_still_run(
    conn: psycopg.Connection[Any],
) -> None:
    for statement in TABLES:
        conn.execute(statement)
    catalog = read_catalog(conn)
    rules = [CrashingRule(), *select_rules(["FK201"])]
    findings, errors = run_rules(catalog, rules)
    assert [f.code for f in findings] == ["FK201"]
    assert len(errors) == 1 and errors[0].code == "FK999"
    assert "ZeroDivisionError: boom" in errors[0].message
    report = fkaudit.Report(findings=findings, errors=errors)
    assert report.exit_code(Severity.ERROR) == EXIT_ERROR


def test_selectors() -> None:
    default = {rule.code for rule in all_rules() if rule.enabled_by_default}
    assert {"FK202", "FK602"}.isdisjoint(default)
    assert {r.code for r in select_rules()} == default
    assert {r.code for r in select_rules(["FK1"])} == {"FK101", "FK102", "FK103"}
    assert {r.code for r in select_rules(["FK6"])} == {"FK601"}
    assert {r.code for r in select_rules(["FK602"])} == {"FK602"}  # opt-in: named exactly
    assert {r.code for r in select_rules(["redundant-foreign-key-index"])} == {"FK602"}
    assert {r.code for r in select_rules(["FK7"])} == {"FK701", "FK702", "FK703", "FK704", "FK705"}
    everything_but = ["FK1", "FK3", "FK4", "FK5", "FK6", "FK7", "FK0"]
    assert {r.code for r in select_rules(ignore=everything_but)} == {"FK201"}
    with pytest.raises(FkauditError, match="unknown rule 'FK8'"):
        select_rules(["FK8"])
    with pytest.raises(FkauditError, match="did you mean 'duplicate-foreign-key'"):
        select_rules(ignore=["duplicate-foreign-keys"])
    with pytest.raises(FkauditError, match="FK202 needs a naming convention"):
        select_rules(["FK202"])


def test_extensions_add_to_the_selection_after_it() -> None:
    """`--extend-select`/`--extend-ignore` (ruff's): applied after select and ignore."""

    def chosen(
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        *,
        extend_select: Sequence[str] = (),
        extend_ignore: Sequence[str] = (),
    ) -> set[str]:
        rules = select_rules(
            select, ignore, extend_select=extend_select, extend_ignore=extend_ignore
        )
        return {r.code for r in rules}

    default = chosen()
    assert chosen(extend_select=["FK602"]) == default | {"FK602"}
    assert chosen(extend_select=["FK6"]) == default  # a prefix picks enabled rules only
    assert chosen(["FK1"], extend_select=["FK3"]) == chosen(["FK1"]) | chosen(["FK3"])
    assert chosen(["FK1"], ["FK101"], extend_select=["FK101"]) == {"FK101", "FK102", "FK103"}
    assert chosen(extend_ignore=["FK1"]) == default - {"FK101", "FK102", "FK103"}
    assert chosen(extend_select=["FK602"], extend_ignore=["FK6"]) == default - {"FK601"}
    disabled = Config(rules={"FK303": RuleConfig(enabled=False)})
    assert "FK303" not in {r.code for r in select_rules(config=disabled, extend_select=["FK3"])}
    assert "FK303" in {r.code for r in select_rules(config=disabled, extend_select=["FK303"])}
    with pytest.raises(FkauditError, match="unknown rule 'FK8'"):
        select_rules(extend_ignore=["FK8"])


def test_configuration_enables_tunes_and_disables_rules() -> None:
    config = Config(
        rules={
            "FK202": RuleConfig(options={"convention": "fk_{table}_{columns}"}),
            "FK602": RuleConfig(enabled=True),
            "FK101": RuleConfig(severity=Severity.ERROR, options={"min_rows": 10}),
            "FK303": RuleConfig(enabled=False),
        }
    )
    chosen = {r.code: r for r in select_rules(config=config)}
    assert {"FK202", "FK602"} <= chosen.keys() and "FK303" not in chosen
    assert chosen["FK101"].severity is Severity.ERROR
    assert chosen["FK101"].options == {"min_rows": 10}
    assert chosen["FK306"].options == {"max_tables": 4}
    assert "FK303" in {r.code for r in select_rules(["FK303"], config=config)}
    assert {r.code for r in select_rules(["FK2"], config=config)} == {"FK201", "FK202"}


def test_fingerprints_survive_unrelated_changes(db: str, conn: psycopg.Connection[Any]) -> None:
    for statement in TABLES:
        conn.execute(statement)
    before = {f.fingerprint for f in fkaudit.audit(db).findings}
    conn.execute("CREATE TABLE unrelated (id int PRIMARY KEY, p_id int REFERENCES p)")
    conn.execute("INSERT INTO p SELECT generate_series(1, 1000)")
    conn.execute("INSERT INTO c SELECT generate_series(1, 1000)")
    conn.execute("ALTER TABLE c ADD COLUMN extra text")
    conn.execute("ANALYZE")
    after = {f.fingerprint for f in fkaudit.audit(db).findings if f.table == "c"}
    assert before == after and len(before) == 2


def test_api_leaves_a_callers_connection_open_and_usable(conn: psycopg.Connection[Any]) -> None:
    for statement in TABLES:
        conn.execute(statement)
    report = fkaudit.audit(conn, select=["FK101"])
    assert [f.constraint for f in report.findings] == ["c_p_id_fkey"]
    conn.execute("CREATE TABLE still_writable (id int)")


def test_api_inside_a_callers_transaction_leaves_it_writable(db: str) -> None:
    with psycopg.connect(db) as caller:  # not autocommit: the caller's transaction is open
        for statement in TABLES:
            caller.execute(statement)
        report = fkaudit.audit(caller, select=["FK201"])
        assert [f.constraint for f in report.findings] == ["c_p_id_fkey"]
        caller.execute("INSERT INTO p VALUES (1)")
        caller.rollback()


def test_fk_to_an_extension_owned_table_is_inspected(
    conn: psycopg.Connection[Any], db: str
) -> None:
    """Extension tables are never inspected themselves, but FKs pointing at them are."""
    conn.execute("CREATE TABLE ref (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE ext_child (id int PRIMARY KEY, ref_id int)")
    conn.execute("ALTER TABLE ext_child ADD CONSTRAINT fk_ext FOREIGN KEY (id) REFERENCES ref")
    conn.execute("ALTER EXTENSION btree_gist ADD TABLE ref")
    conn.execute("ALTER EXTENSION btree_gist ADD TABLE ext_child")
    conn.execute(
        "CREATE TABLE child (ref_id int NOT NULL CONSTRAINT fk_child_ref REFERENCES ref"
        " ON DELETE SET NULL)"
    )
    try:
        report = fkaudit.audit(db, select=["FK101", "FK301"])
        assert {(f.code, f.table) for f in report.findings} == {
            ("FK101", "child"),
            ("FK301", "child"),
        }
        assert report.tables_inspected == 1
    finally:
        conn.execute("ALTER EXTENSION btree_gist DROP TABLE ext_child")
        conn.execute("ALTER EXTENSION btree_gist DROP TABLE ref")


def test_an_audit_keeps_no_catalog_alive(conn: psycopg.Connection[Any]) -> None:
    """Per-catalog caches (coverage, cascade graph, index names) must not pin the catalog:
    a long-running application calling audit() repeatedly would otherwise grow forever."""
    import gc
    import weakref

    for statement in TABLES:
        conn.execute(statement)
    conn.execute("CREATE TABLE g (id int PRIMARY KEY, p_id int REFERENCES p ON DELETE CASCADE)")
    catalog = read_catalog(conn)
    run_rules(catalog, select_rules(["FK1", "FK2", "FK3", "FK6"]))
    alive = weakref.ref(catalog)
    del catalog
    gc.collect()
    assert alive() is None
