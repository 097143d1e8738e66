"""docs/design.md §4 on a real server: every transaction fkaudit runs cannot write, is bounded and
labelled, leaves nothing on the session after it, and works for a role with nothing but CONNECT
and USAGE."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import conninfo

import fkaudit
from fkaudit.connection import SessionLimits, connect, transaction

SETTINGS = (
    "transaction_read_only",
    "default_transaction_read_only",
    "statement_timeout",
    "lock_timeout",
    "application_name",
)


def _settings(conn: psycopg.Connection[Any]) -> dict[str, str]:
    return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}  # type: ignore[index]


def test_every_transaction_is_read_only_bounded_and_labelled(db: str) -> None:
    """Inside fkaudit's transaction: its limits. After it: the server's defaults, on the same
    backend, since behind a pooler that backend serves an application next."""
    with psycopg.connect(db, autocommit=True) as fresh:
        defaults = _settings(fresh)
    limits = SessionLimits(statement_timeout_ms=4321, lock_timeout_ms=1234)
    with connect(db, limits) as session:
        session.autocommit = True
        backend = session.info.backend_pid
        assert _settings(session) == defaults  # connecting set nothing on the session
        session.autocommit = False
        with transaction(session) as owned:
            assert owned
            assert _settings(session) == {
                **defaults,
                "transaction_read_only": "on",
                "statement_timeout": "4321ms",
                "lock_timeout": "1234ms",
                "application_name": "fkaudit",
            }
            level = session.execute("SHOW transaction_isolation").fetchone()
            assert level == ("repeatable read",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), transaction(session):
            session.execute("CREATE TABLE must_not_exist (id int)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # psycopg's BEGIN READ ONLY
            session.execute("CREATE TABLE must_not_exist (id int)")
        session.rollback()
        session.autocommit = True
        assert session.info.backend_pid == backend
        assert _settings(session) == defaults
        prepared = session.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
        assert prepared == (0,)


def test_statement_timeout_cancels_long_queries(db: str) -> None:
    with (
        connect(db, SessionLimits(statement_timeout_ms=200)) as session,
        pytest.raises(psycopg.errors.QueryCanceled),
        transaction(session),
    ):
        session.execute("SELECT pg_sleep(5)")


def test_no_prepared_statement_on_any_connection(db: str) -> None:
    """psycopg prepares a statement run five times; on fkaudit's own connections, never."""
    with connect(db) as session:
        for _ in range(10):
            with transaction(session):
                session.execute("SELECT 1")
        session.autocommit = True
        prepared = session.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
        assert prepared == (0,)


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
    """FK302's parent-row probe runs only where the role can read; elsewhere the run says the
    check could not run, and which GRANT would let it (never a silent pass)."""
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
        assert as_prober.findings == ()
        [error] = as_prober.errors
        assert error.code == "FK302" and "could not check public.item.item_status" in error.message
        assert 'GRANT USAGE ON SCHEMA "hidden" TO "fkaudit_prober";' in error.message
        conn.execute("GRANT USAGE ON SCHEMA hidden TO fkaudit_prober")
        as_prober = fkaudit.audit(prober, select=["FK302"], scope=public)
        assert [f.constraint for f in as_prober.findings] == ["item_status"]
    finally:
        conn.execute("DROP OWNED BY fkaudit_prober")
        conn.execute("DROP ROLE fkaudit_prober")
