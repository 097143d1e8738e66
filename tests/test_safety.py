"""DESIGN §4 on a real server: the session cannot write, is bounded and labelled, and works
for a role with nothing but CONNECT and USAGE."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import conninfo

import fkaudit
from fkaudit.connection import SessionLimits, connect


def test_session_is_read_only_bounded_and_labelled(db: str) -> None:
    with connect(db, SessionLimits(statement_timeout_ms=4321, lock_timeout_ms=1234)) as session:
        settings = {
            name: session.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("default_transaction_read_only", "statement_timeout", "lock_timeout",
                         "application_name", "transaction_read_only")
        }  # fmt: skip
        assert settings == {
            "default_transaction_read_only": "on",
            "statement_timeout": "4321ms",
            "lock_timeout": "1234ms",
            "application_name": "fkaudit",
            "transaction_read_only": "on",
        }
        session.rollback()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            session.execute("CREATE TABLE must_not_exist (id int)")
        session.rollback()
        session.autocommit = True  # even outside fkaudit's own transactions
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            session.execute("CREATE TABLE must_not_exist (id int)")


def test_statement_timeout_cancels_long_queries(db: str) -> None:
    with (
        connect(db, SessionLimits(statement_timeout_ms=200)) as session,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        session.execute("SELECT pg_sleep(5)")


def test_audit_works_with_connect_and_usage_only(conn: psycopg.Connection[Any], db: str) -> None:
    conn.execute("DROP ROLE IF EXISTS fkaudit_reader")
    # A password too: servers reached over TCP (CI service containers) require one.
    conn.execute("CREATE ROLE fkaudit_reader LOGIN PASSWORD 'reader-pw'")
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE child (parent_id int REFERENCES parent)")
    conn.execute("REVOKE ALL ON parent, child FROM PUBLIC")
    dbname = conninfo.conninfo_to_dict(db)["dbname"]
    conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO fkaudit_reader')
    try:
        reader_dsn = conninfo.make_conninfo(db, user="fkaudit_reader", password="reader-pw")
        report = fkaudit.audit(reader_dsn, scope=fkaudit.Scope(schemas=("public",)))
        assert {(f.code, f.constraint) for f in report.findings} == {
            ("FK101", "child_parent_id_fkey"),
            ("FK201", "child_parent_id_fkey"),
        }
        # information_schema hides what pg_catalog shows: the reason fkaudit reads the catalog.
        with psycopg.connect(reader_dsn) as reader:
            hidden = reader.execute(
                "SELECT count(*) FROM information_schema.referential_constraints"
            ).fetchone()
        assert hidden == (0,)
    finally:
        conn.execute("DROP OWNED BY fkaudit_reader")
        conn.execute("DROP ROLE fkaudit_reader")


def test_set_default_probe_respects_privileges(conn: psycopg.Connection[Any], db: str) -> None:
    """FK302's parent-row probe runs only where the role can read; elsewhere it stays unknown."""
    conn.execute("DROP ROLE IF EXISTS fkaudit_prober")
    conn.execute("CREATE ROLE fkaudit_prober LOGIN PASSWORD 'prober-pw'")
    conn.execute("CREATE SCHEMA hidden")
    conn.execute("CREATE TABLE hidden.status (id int PRIMARY KEY)")  # no row 0
    conn.execute(
        "CREATE TABLE public.item (status_id int NOT NULL DEFAULT 0 CONSTRAINT item_status "
        "REFERENCES hidden.status ON DELETE SET DEFAULT)"
    )
    conn.execute("GRANT SELECT ON hidden.status TO fkaudit_prober")  # but no USAGE on hidden
    dbname = conninfo.conninfo_to_dict(db)["dbname"]
    conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO fkaudit_prober')
    try:
        prober = conninfo.make_conninfo(db, user="fkaudit_prober", password="prober-pw")
        public = fkaudit.Scope(schemas=("public",))
        as_prober = fkaudit.audit(prober, select=["FK302"], scope=public)
        assert as_prober.findings == () and as_prober.errors == ()
        conn.execute("GRANT USAGE ON SCHEMA hidden TO fkaudit_prober")
        as_prober = fkaudit.audit(prober, select=["FK302"], scope=public)
        assert [f.constraint for f in as_prober.findings] == ["item_status"]
    finally:
        conn.execute("DROP OWNED BY fkaudit_prober")
        conn.execute("DROP ROLE fkaudit_prober")
