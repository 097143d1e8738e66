"""fkaudit behind PgBouncer in transaction pooling mode leaves no trace on the pooled connections.

With `pool_mode=transaction` the server connection fkaudit used for one transaction is handed to
the application for the next. A session-level setting (read-only, timeouts, application_name)
or a server-side prepared statement left on it would then break or mislabel the application's
work: `cannot execute INSERT in a read-only transaction`, or `prepared statement "_pg3_0" does
not exist` when psycopg's prepared statement is looked for on another server connection.

Each test runs a real PgBouncer (tests/pgbouncer.py) with two server connections per pool, looks
at both before and after fkaudit (holding two transactions at once is the only way to see every
connection of the pool), and writes through the pooler as an application would.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import conninfo

import fkaudit
from fkaudit.cli import main
from tests.pgbouncer import POOL_SIZE, PgBouncer, find_pgbouncer

# One row per pooled server connection: who it is and everything fkaudit might have left on it.
POOLED_STATE = """
SELECT pg_catalog.pg_backend_pid(),
       pg_catalog.current_setting('default_transaction_read_only'),
       pg_catalog.current_setting('transaction_read_only'),
       pg_catalog.current_setting('statement_timeout'),
       pg_catalog.current_setting('lock_timeout'),
       pg_catalog.current_setting('application_name'),
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements)
"""

NOT_VALID_KEYS = 24  # 6 scans per worker at --jobs 4: past psycopg's prepare threshold (5)


@pytest.fixture(scope="module")
def pgbouncer(server_dsn: str) -> Iterator[PgBouncer]:
    binary = find_pgbouncer()
    if binary is None:
        reason = (
            "PGBOUNCER NOT FOUND: the connection-pooler tests did NOT run. Install it "
            "(Debian/Ubuntu: apt-get install pgbouncer) or put pgbouncer on PATH."
        )
        warnings.warn(reason, stacklevel=1)
        pytest.skip(reason)
    with PgBouncer(binary, server_dsn) as bouncer:
        yield bouncer


@pytest.fixture
def pooled(pgbouncer: PgBouncer, db: str) -> str:
    """The test database, reached through the pooler."""
    return pgbouncer.dsn(str(conninfo.conninfo_to_dict(db)["dbname"]))


def pool_state(pooled: str) -> list[tuple[Any, ...]]:
    """POOLED_STATE of every server connection in the pool, sorted by backend pid.

    One client per pooled connection, each holding a transaction, so no two share one; the
    clients send no application_name, as many applications do not.
    """
    with ExitStack() as stack:
        clients = [
            stack.enter_context(psycopg.connect(pooled, prepare_threshold=None))
            for _ in range(POOL_SIZE)
        ]
        rows = [client.execute(POOLED_STATE).fetchone() for client in clients]
        for client in clients:
            client.rollback()
    assert all(row is not None for row in rows)
    return sorted(tuple(row) for row in rows if row is not None)


def application_writes(pooled: str, rounds: int = 6) -> list[str]:
    """INSERTs through the pooler on every pooled connection at once; the errors they met."""
    errors: list[str] = []
    for number in range(rounds):
        with ExitStack() as stack:
            clients = [
                stack.enter_context(psycopg.connect(pooled, prepare_threshold=None))
                for _ in range(POOL_SIZE)
            ]
            for index, client in enumerate(clients):
                try:
                    client.execute("INSERT INTO app_log (note) VALUES (%s)", (f"{number}.{index}",))
                except psycopg.Error as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
            for client in clients:
                client.commit()  # rolls back the failed ones
    return errors


def assert_pool_untouched(pooled: str, before: list[tuple[Any, ...]]) -> None:
    """The same server connections, with the settings they had, and applications can write."""
    assert pool_state(pooled) == before
    assert application_writes(pooled) == []


def warm_pool(conn: psycopg.Connection[Any], pooled: str) -> list[tuple[Any, ...]]:
    conn.execute("CREATE TABLE app_log (id int GENERATED ALWAYS AS IDENTITY, note text)")
    before = pool_state(pooled)
    assert len({row[0] for row in before}) == POOL_SIZE  # the pool is full
    assert all(row[1:3] == ("off", "off") for row in before)  # an application can write
    return before


def test_check_through_pgbouncer_leaves_the_pool_as_it_was(
    conn: psycopg.Connection[Any], pooled: str
) -> None:
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE child (parent_id int CONSTRAINT child_parent REFERENCES parent)")
    before = warm_pool(conn, pooled)
    result = CliRunner().invoke(main, ["check", pooled, "--format", "json"])
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["errors"] == []
    assert [(f["code"], f["constraint"]) for f in document["findings"]] == [
        ("FK101", "child_parent")
    ]
    assert_pool_untouched(pooled, before)


def test_parallel_orphan_scans_through_pgbouncer(
    conn: psycopg.Connection[Any], pooled: str
) -> None:
    """`--orphans all --jobs 4`: four clients on two server connections, repeated statements."""
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    conn.execute("INSERT INTO parent VALUES (1)")
    for n in range(NOT_VALID_KEYS):
        conn.execute(f"CREATE TABLE child_{n} (parent_id int)")
        conn.execute(f"INSERT INTO child_{n} SELECT g FROM generate_series(1, {n + 2}) g")
        conn.execute(
            f"ALTER TABLE child_{n} ADD CONSTRAINT child_{n}_parent FOREIGN KEY (parent_id) "
            "REFERENCES parent NOT VALID"
        )
    before = warm_pool(conn, pooled)
    expected = {f"child_{n}_parent": n + 1 for n in range(NOT_VALID_KEYS)}
    for _ in range(3):
        result = CliRunner().invoke(
            main,
            [
                "check",
                pooled,
                "--format",
                "json",
                "--select",
                "FK501",
                "--orphans",
                "all",
                "--jobs",
                "4",
            ],
        )
        assert result.exit_code == 1, result.stderr
        document = json.loads(result.stdout)
        assert document["summary"]["errors"] == []
        assert {f["constraint"]: f["orphan_count"] for f in document["findings"]} == expected
    assert_pool_untouched(pooled, before)


@pytest.mark.parametrize("in_transaction", [False, True], ids=["idle", "in-transaction"])
def test_audit_on_a_callers_pooled_connection(
    conn: psycopg.Connection[Any], pooled: str, in_transaction: bool
) -> None:
    """A caller's connection (psycopg's defaults, prepared statements on) through the pooler:
    fkaudit prepares nothing on it and changes none of its settings, idle or in a transaction."""
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    for n in range(8):  # more scans than psycopg's prepare threshold
        conn.execute(f"CREATE TABLE child_{n} (parent_id int)")
        conn.execute(
            f"ALTER TABLE child_{n} ADD FOREIGN KEY (parent_id) REFERENCES parent NOT VALID"
        )
    before = warm_pool(conn, pooled)
    with psycopg.connect(pooled, autocommit=not in_transaction) as caller:
        settings = caller.execute(POOLED_STATE).fetchone()[1:]  # type: ignore[index]
        for _ in range(6):  # each scan's query six times: past the prepare threshold too
            report = fkaudit.audit(caller, select=["FK501"], orphans="all")
            assert report.errors == () and report.findings == ()
        assert caller.prepare_threshold == 5  # psycopg's default, restored
        assert caller.execute(POOLED_STATE).fetchone()[1:] == settings  # type: ignore[index]
        caller.execute("INSERT INTO app_log (note) VALUES ('caller')")
        if in_transaction:
            caller.commit()
    assert_pool_untouched(pooled, before)
