"""About 20,000 foreign keys, audited to the end on the suite's server: the scale regression guard.

A catalog query whose plan changes with the schema's size fails here as a statement timeout, on
whichever PostgreSQL major the suite runs against: PostgreSQL 12-16 ran the COLUMNS query's
EXISTS as a per-row subplan once its hashed form outgrew work_mem (48 s at 15,000 keys), and
FK502's join on table names could only filter every candidate against every primary key.
Nothing here is timed (benchmarks/catalog_bench.py measures); the test asserts that an audit
with every rule on, under the default statement timeout, completes and inspects every key.

The schema is built by the server itself (a DO block, committing every 250 tables, so that no
transaction outgrows the lock table): 4,000 tables, each referencing up to five earlier ones (some
ON DELETE CASCADE, a third of them indexed), and each with one `t<N>_id` column that no
constraint covers but that names another table, for FK502.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from click.testing import CliRunner
from psycopg import sql

from fkaudit.cli import main

TABLES = 4000
KEYS_PER_TABLE = 5

BUILD = """
DO $build$
DECLARE
    body text;
BEGIN
    FOR i IN 0..{tables} - 1 LOOP
        body := 'id bigint PRIMARY KEY';
        IF i > 0 THEN  -- an implied reference to another table, for FK502
            body := body || pg_catalog.format(', %I bigint', 't' || i / 2 || '_id');
        END IF;
        FOR k IN 1..LEAST({per_table}, i) LOOP
            body := body || pg_catalog.format(
                ', %I bigint REFERENCES scale.%I ON DELETE %s',
                'p' || k || '_id', 't' || (i * 7919 + k * 104729) % i,
                CASE WHEN k % 4 = 0 THEN 'CASCADE' ELSE 'NO ACTION' END);
        END LOOP;
        EXECUTE pg_catalog.format('CREATE TABLE scale.%I (%s)', 't' || i, body);
        IF i % 3 = 0 AND i > 0 THEN
            EXECUTE pg_catalog.format('CREATE INDEX ON scale.%I (p1_id)', 't' || i);
        END IF;
        IF i % 250 = 249 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$build$
"""

EVERY_RULE = """
[rules.FK202]
convention = "fk_{table}_{columns}"
[rules.FK502]
enabled = true
[rules.FK602]
enabled = true
"""


def test_twenty_thousand_keys_audit_to_the_end(db: str, tmp_path: Path) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA scale")
        conn.execute(sql.SQL(BUILD).format(tables=TABLES, per_table=KEYS_PER_TABLE))
        conn.execute("ANALYZE")  # the statistics a production catalog has
        row = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_constraint WHERE contype = 'f'"
        ).fetchone()
    assert row is not None
    keys = row[0]
    assert keys >= 19_000

    config = tmp_path / "fkaudit.toml"
    config.write_text(EVERY_RULE, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["check", db, "--format", "json", "--config", str(config), "--statement-timeout", "60"],
    )
    assert result.exit_code == 1, result.output[-2000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["errors"] == [] and summary["incomplete"] == []
    assert summary["foreign_keys_inspected"] == keys
    assert summary["tables_inspected"] == TABLES
    implied = [f for f in report["findings"] if f["code"] == "FK502"]
    assert len(implied) == TABLES - 1  # every t<N>_id column: FK502's query ran to the end
    assert any(f["code"] == "FK101" for f in report["findings"])
