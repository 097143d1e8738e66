"""Open the one kind of session fkaudit uses, and run its work in read-only, bounded transactions.

Safety contract (docs/design.md §4): every statement fkaudit runs is in a READ ONLY transaction
with a `statement_timeout` and a `lock_timeout`, labelled `application_name=fkaudit`, so it can be
pointed at production or a hot standby. Each setting is made inside the transaction that needs
it (`set_config(..., true)`, as SET LOCAL) and ends with it; none is made on the session. Behind
a pooler in transaction mode (pgbouncer) the server connection goes to an application next, and
a session setting would go with it (`cannot execute INSERT in a read-only transaction`); the
startup `options` packet is no way round, as poolers reject it. application_name is not a
startup parameter either: pgbouncer sets a client's on every server connection it lends that
client and leaves it there for the next client that sends none, so applications would show up
as fkaudit in pg_stat_activity. Connections fkaudit opens use no server-side prepared statement
(`prepare_threshold=None`): the next transaction may run on a server connection that does not
have it. On a caller's connection they are off for the audit (`without_prepared_statements`).
Connection failures become one-line `ConnectionFailed` errors that name the target as
`user@host:port/dbname`, never its password (`fkaudit.dsn`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from fkaudit.dsn import describe_target
from fkaudit.dsn import parse as parse_dsn
from fkaudit.errors import ConnectionFailed, one_line

MIN_SERVER_VERSION = 120000
APPLICATION_NAME = "fkaudit"


@dataclass(frozen=True)
class SessionLimits:
    """Per-statement limits applied to every transaction fkaudit opens on its own connections."""

    statement_timeout_ms: int = 60_000
    lock_timeout_ms: int = 1_000
    connect_timeout_s: int = 10


def resolve_dsn(dsn: str | None) -> str:
    """The DSN argument, else `$DATABASE_URL`, else "" (libpq then reads the PG* variables)."""
    if dsn:
        return dsn
    return os.environ.get("DATABASE_URL", "")


class Session(psycopg.Connection[TupleRow]):
    """A connection fkaudit opened itself: it carries the limits its transactions set."""

    limits: SessionLimits = SessionLimits()


def connect(dsn: str | None, limits: SessionLimits | None = None) -> Session:
    """Connect; each transaction on the result is READ ONLY, REPEATABLE READ (one snapshot).

    Nothing is set on the session itself: the limits are applied by `transaction()`. Outside
    it, psycopg still opens every transaction READ ONLY, but unbounded: fkaudit never runs a
    statement there.
    """
    limits = limits or SessionLimits()
    dsn = resolve_dsn(dsn)
    params = parse_dsn(dsn)  # refuses, naming no part of it, a DSN that may leak a password
    extra: dict[str, Any] = {}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = limits.connect_timeout_s
    try:
        conn = Session.connect(dsn, autocommit=False, prepare_threshold=None, **extra)
    except psycopg.Error as exc:
        raise ConnectionFailed(
            f"cannot connect to {describe_target(params)}: {one_line(exc)}"
        ) from None
    try:
        conn.limits = limits
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with transaction(conn):
            _check_server(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: psycopg.Connection[Any]) -> Iterator[bool]:
    """fkaudit's unit of work; yields whether fkaudit opened the transaction (else: a savepoint).

    A transaction fkaudit opens is made READ ONLY, and on its own connections (`Session`) also
    bounded and labelled, by settings local to it. Inside a caller's transaction nothing is
    set: a SET LOCAL made in a savepoint outlives its release, so it would change the caller's
    transaction (turn it read-only, shorten its timeouts); the caller's settings apply there.
    """
    owns = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if owns and isinstance(conn, Session):
            limits = conn.limits
            conn.execute(
                "SELECT pg_catalog.set_config('transaction_read_only', 'on', true),"
                " pg_catalog.set_config('statement_timeout', %s, true),"
                " pg_catalog.set_config('lock_timeout', %s, true),"
                " pg_catalog.set_config('application_name', %s, true)",
                (
                    f"{limits.statement_timeout_ms}ms",
                    f"{limits.lock_timeout_ms}ms",
                    APPLICATION_NAME,
                ),
            )
        elif owns:
            conn.execute("SELECT pg_catalog.set_config('transaction_read_only', 'on', true)")
        yield owns


@contextmanager
def without_prepared_statements(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """No server-side prepared statement made by fkaudit on a caller's connection.

    psycopg prepares a statement once it has run a few times (`prepare_threshold`); fkaudit runs
    the same statements on every audit and every scan, so an application calling `audit(conn)`
    repeatedly would find fkaudit's prepared statements on its session, and through a pooler
    in transaction mode they fail (`prepared statement "_pg3_0" does not exist`). The caller's
    threshold, and its own prepared statements, are left as they were.
    """
    threshold = conn.prepare_threshold
    conn.prepare_threshold = None
    try:
        yield
    finally:
        conn.prepare_threshold = threshold


def _check_server(conn: psycopg.Connection[Any]) -> None:
    """Refuse servers fkaudit cannot read correctly: not PostgreSQL, or older than 12."""
    row = conn.execute("SELECT pg_catalog.version()").fetchone()
    banner = str(row[0]) if row else ""
    if not banner.startswith("PostgreSQL"):
        raise ConnectionFailed(f"not a PostgreSQL server (it reports {banner[:60]!r})")
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        release = f"{version // 10000}.{version // 100 % 100}"  # before 10: 9.6 is 90600
        raise ConnectionFailed(
            f"PostgreSQL {release} is not supported: fkaudit needs PostgreSQL 12 or later"
        )
