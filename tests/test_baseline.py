"""Baselines end to end: write, check clean, a new violation fails alone, a fix goes stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

import fkaudit
from fkaudit.cli import main

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);
CREATE TABLE notes (id int PRIMARY KEY, order_id int REFERENCES orders);
"""


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def entries(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["findings"]
    return data


def test_round_trip(db: str, conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    conn.execute(SCHEMA)
    baseline = tmp_path / "fkaudit-baseline.json"
    written = cli("baseline", str(baseline), db)
    assert written.exit_code == 0, written.output
    assert "wrote 4 baseline entries" in written.output
    recorded = entries(baseline)
    assert [(e["rule"], e["table"]) for e in recorded] == [
        ("FK101", "notes"),
        ("FK201", "notes"),
        ("FK101", "orders"),
        ("FK201", "orders"),
    ]
    assert cli("check", db).exit_code == 1
    clean = cli("check", db, "--baseline", str(baseline))
    assert clean.exit_code == 0, clean.output
    assert "4 in the baseline" in clean.output

    # A new violation: exit 1, and it is the only finding reported.
    conn.execute("CREATE TABLE refunds (id int PRIMARY KEY, order_id int REFERENCES orders)")
    new = cli("check", db, "--baseline", str(baseline), "--format", "json")
    assert new.exit_code == 1
    report = json.loads(new.output)
    assert {(f["code"], f["table"]) for f in report["findings"]} == {
        ("FK101", "refunds"),
        ("FK201", "refunds"),
    }
    assert report["summary"]["baselined"] == 4 and report["summary"]["stale_baseline"] == []

    # Fixing an old one: its entry is reported stale; the run still passes without refunds.
    conn.execute("DROP TABLE refunds")
    conn.execute("CREATE INDEX ON notes (order_id)")
    fixed = cli("check", db, "--baseline", str(baseline))
    assert fixed.exit_code == 0, fixed.output
    assert "stale baseline entries" in fixed.output
    assert "FK101 public.notes.notes_order_id_fkey" in fixed.output

    # --update-baseline drops the stale entry and keeps the file sorted and stable.
    updated = cli("check", db, "--baseline", str(baseline), "--update-baseline")
    assert updated.exit_code == 0, updated.output
    assert "3 entries (0 added, 1 removed)" in updated.output
    assert ("FK101", "notes") not in {(e["rule"], e["table"]) for e in entries(baseline)}
    before = baseline.read_text(encoding="utf-8")
    cli("check", db, "--baseline", str(baseline), "--update-baseline")
    assert baseline.read_text(encoding="utf-8") == before


def test_fingerprints_survive_reordering_rows_and_unrelated_changes(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    baseline = tmp_path / "b.json"
    assert cli("baseline", str(baseline), db).exit_code == 0
    # Rebuild orders with its columns in another order, add rows and an unrelated table.
    conn.execute("""
        DROP TABLE notes, orders;
        CREATE TABLE orders (customer_id int REFERENCES customers, note text,
                             id int PRIMARY KEY);
        CREATE TABLE notes (order_id int REFERENCES orders, id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 500);
        INSERT INTO orders SELECT i, NULL, i FROM generate_series(1, 500) i;
        ANALYZE;
        CREATE TABLE unrelated (id int PRIMARY KEY);
    """)
    result = cli("check", db, "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert "stale" not in result.output


def test_entries_outside_the_run_are_neither_stale_nor_dropped(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    baseline = tmp_path / "b.json"
    assert cli("baseline", str(baseline), db).exit_code == 0
    narrow = cli("check", db, "--baseline", str(baseline), "--select", "FK101", "--table", "orders")
    assert narrow.exit_code == 0 and "stale" not in narrow.output, narrow.output
    assert cli("baseline", str(baseline), db, "--select", "FK101").exit_code == 0
    assert len(entries(baseline)) == 4  # FK201 entries kept though FK201 did not run


def test_bad_baseline_files_exit_2(db: str, tmp_path: Path) -> None:
    missing = cli("check", db, "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert "does not exist (create it with: fkaudit baseline" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"fkaudit-baseline": 1,\n "findings": [\n', encoding="utf-8")
    result = cli("check", db, "--baseline", str(broken))
    assert result.exit_code == 2 and f"{broken}:3: not a baseline file" in result.output
    other = tmp_path / "other.json"
    other.write_text('{"findings": []}', encoding="utf-8")
    result = cli("check", db, "--baseline", str(other))
    assert result.exit_code == 2 and "not a fkaudit baseline file" in result.output
    lonely = cli("check", db, "--update-baseline")
    assert lonely.exit_code == 2 and "--update-baseline needs --baseline" in lonely.output


def test_update_baseline_creates_a_missing_file(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    baseline = tmp_path / "new.json"
    result = cli("check", db, "--baseline", str(baseline), "--update-baseline")
    assert result.exit_code == 0, result.output
    assert len(entries(baseline)) == 4


def test_baseline_refuses_an_incomplete_audit(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute(SCHEMA)
    conn.execute("CREATE ROLE fkaudit_baseline_blind LOGIN")
    conn.execute("ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey")
    conn.execute("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers NOT VALID")
    try:
        blind = psycopg.conninfo.make_conninfo(db, user="fkaudit_baseline_blind")
        baseline = tmp_path / "b.json"
        result = cli("baseline", str(baseline), blind)
        assert result.exit_code == 2 and "not writing" in result.output, result.output
        assert not baseline.exists()
    finally:
        conn.execute("DROP OWNED BY fkaudit_baseline_blind")
        conn.execute("DROP ROLE fkaudit_baseline_blind")


@pytest.mark.parametrize("constraint", ["a,b", 'quote"d', "ünïcode"])
def test_names_round_trip(
    constraint: str, db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute("CREATE TABLE p (id int PRIMARY KEY)")
    conn.execute(
        psycopg.sql.SQL("CREATE TABLE c (p_id int CONSTRAINT {} REFERENCES p)").format(
            psycopg.sql.Identifier(constraint)
        )
    )
    baseline = tmp_path / "b.json"
    assert cli("baseline", str(baseline), db).exit_code == 0
    assert entries(baseline)[0]["constraint"] == constraint
    assert cli("check", db, "--baseline", str(baseline)).exit_code == 0
    assert len(fkaudit.audit(db).findings) == 1


def test_entries_without_a_constraint_round_trip(tmp_path: Path) -> None:
    """Table-level findings (FK306 cascade depth) have no constraint; they sort and reload."""
    from fkaudit.baseline import load_baseline, write_baseline
    from fkaudit.report import BaselineEntry

    written = (
        BaselineEntry("public", "a", None, "FK306", "1" * 16),
        BaselineEntry("public", "a", "a_fk", "FK101", "2" * 16),
    )
    path = tmp_path / "b.json"
    write_baseline(path, reversed(written))
    assert load_baseline(path) == written


ORPHANS = """
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE c (id int PRIMARY KEY, p_id int);
CREATE INDEX ON c (p_id);
INSERT INTO c VALUES (1, 42);
ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID;
"""


def test_entries_a_run_did_not_check_are_kept(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """Orphan entries without a full scan, suppressed findings: neither stale nor dropped."""
    conn.execute(ORPHANS)
    baseline = tmp_path / "b.json"
    assert cli("baseline", str(baseline), db).exit_code == 0
    assert {e["rule"] for e in entries(baseline)} == {"FK401", "FK501"}
    for orphans in ("off", "suspect"):
        run = cli("check", db, "--baseline", str(baseline), "--orphans", orphans)
        assert run.exit_code == 0 and "stale" not in run.output, run.output
    conn.execute("COMMENT ON CONSTRAINT c_p_fk ON c IS 'fkaudit:ignore FK401'")
    run = cli("check", db, "--baseline", str(baseline), "--orphans", "off", "--update-baseline")
    assert run.exit_code == 0 and "stale" not in run.output, run.output
    assert {e["rule"] for e in entries(baseline)} == {"FK401", "FK501"}
    # A full scan that finds the orphans gone does judge the FK501 entry.
    conn.execute("DELETE FROM c")
    run = cli("check", db, "--baseline", str(baseline), "--orphans", "all")
    assert run.exit_code == 0 and "FK501 public.c.c_p_fk" in run.output, run.output
