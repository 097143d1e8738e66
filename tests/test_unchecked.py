"""A check that could not run makes the run incomplete; it never passes for a clean result.

FK302 looks up the row a SET DEFAULT action points at in the referenced table. A role without
SELECT there, row-level security or a lock held past lock_timeout stop that lookup: the run
then names the constraint, the reason and the GRANT that would let it run, and exits 2 (or
warns with --allow-incomplete), where it used to say "No foreign-key problems found.".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import conninfo, sql

from fkaudit.cli import main

ROLE = "fkaudit_reader"
SCHEMA = """
    CREATE TABLE status (id int PRIMARY KEY);
    INSERT INTO status VALUES (1);
    CREATE TABLE orders (id int PRIMARY KEY,
        status_id int NOT NULL DEFAULT 0 REFERENCES status ON DELETE SET DEFAULT);
    CREATE INDEX ON orders (status_id);
"""
CONSTRAINT = "public.orders.orders_status_id_fkey"


@pytest.fixture
def reader(conn: psycopg.Connection[Any], db: str) -> Iterator[str]:
    """The DSN of a role that may connect and read the catalog, nothing more."""
    conn.execute(SCHEMA)
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ROLE)))
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'reader-pw'").format(sql.Identifier(ROLE)))
    dbname = str(conninfo.conninfo_to_dict(db)["dbname"])
    conn.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(dbname), sql.Identifier(ROLE)
        )
    )
    yield conninfo.make_conninfo(db, user=ROLE, password="reader-pw")
    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(ROLE)))
    conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ROLE)))


def check(dsn: str, *args: str) -> Any:
    return CliRunner().invoke(main, ["check", dsn, "--select", "FK302", *args])


def test_no_select_on_the_referenced_table_is_an_incomplete_run(reader: str) -> None:
    result = check(reader)
    assert result.exit_code == 2, result.output
    assert "No foreign-key problems found" not in result.output
    assert f"FK302 set-default-without-valid-default could not check {CONSTRAINT}" in (
        result.stderr
    )
    assert f'GRANT SELECT ON "public"."status" TO "{ROLE}";' in result.stderr
    assert "reader-pw" not in result.output

    allowed = check(reader, "--allow-incomplete")
    assert allowed.exit_code == 0, allowed.output
    assert (
        f"fkaudit: warning: FK302 set-default-without-valid-default could not check "
        f"{CONSTRAINT}" in allowed.stderr
    )


def test_a_column_grant_is_enough_to_check(conn: psycopg.Connection[Any], reader: str) -> None:
    conn.execute(sql.SQL("GRANT SELECT (id) ON status TO {}").format(sql.Identifier(ROLE)))
    result = check(reader, "--format", "json")
    assert result.exit_code == 1, result.output  # the default row 0 does not exist: FK302
    [finding] = json.loads(result.stdout)["findings"]
    assert "no row of public.status matches the defaults (status_id = 0)" in finding["message"]


def test_no_usage_on_the_schema_names_that_grant(conn: psycopg.Connection[Any], db: str) -> None:
    conn.execute("CREATE SCHEMA ref")
    conn.execute("CREATE TABLE ref.status (id int PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE orders (id int PRIMARY KEY, status_id int NOT NULL DEFAULT 0 "
        "REFERENCES ref.status ON DELETE SET DEFAULT)"
    )
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ROLE)))
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw'").format(sql.Identifier(ROLE)))
    try:
        dsn = conninfo.make_conninfo(db, user=ROLE, password="pw")
        result = check(dsn)
        assert result.exit_code == 2, result.output
        assert f'GRANT USAGE ON SCHEMA "ref" TO "{ROLE}";' in result.stderr
    finally:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(ROLE)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ROLE)))


def test_row_level_security_is_an_incomplete_run(
    conn: psycopg.Connection[Any], reader: str
) -> None:
    conn.execute(sql.SQL("GRANT SELECT ON status TO {}").format(sql.Identifier(ROLE)))
    conn.execute("ALTER TABLE status ENABLE ROW LEVEL SECURITY")
    result = check(reader)
    assert result.exit_code == 2, result.output
    assert "row-level security on public.status would hide rows from the check" in result.stderr


def test_a_lock_past_lock_timeout_is_an_incomplete_run(
    conn: psycopg.Connection[Any], db: str
) -> None:
    conn.execute(SCHEMA)
    with psycopg.connect(db) as holder:
        holder.execute("LOCK TABLE status IN ACCESS EXCLUSIVE MODE")  # e.g. a running migration
        result = check(db)
    assert result.exit_code == 2, result.output
    assert f"could not check {CONSTRAINT}: " in result.stderr
    assert "a lock on public.status was not granted within lock_timeout" in result.stderr


def test_a_suppressed_check_does_not_make_the_run_incomplete(
    conn: psycopg.Connection[Any], reader: str
) -> None:
    conn.execute(
        "COMMENT ON CONSTRAINT orders_status_id_fkey ON orders IS "
        "'fkaudit:ignore FK302 -- the default row is created by the app'"
    )
    result = check(reader)
    assert result.exit_code == 0, result.output
    assert "could not check" not in result.output
