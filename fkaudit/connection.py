"""Open the one kind of session fkaudit uses: read-only, time-bounded, labelled.

Safety contract (DESIGN §4): every session sets `default_transaction_read_only`, a
`statement_timeout` and a `lock_timeout`, and identifies itself as `application_name=fkaudit`,
so it can be pointed at production or a hot standby. The settings are applied with `set_config`
after connecting rather than through the startup `options` packet, which connection poolers
reject. Connection failures become one-line `ConnectionFailed` errors that name the target as
`user@host:port/dbname`, never its password (`fkaudit.dsn`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import psycopg

from fkaudit.dsn import describe_target
from fkaudit.dsn import parse as parse_dsn
from fkaudit.errors import ConnectionFailed, one_line

MIN_SERVER_VERSION = 120000
APPLICATION_NAME = "fkaudit"


@dataclass(frozen=True)
class SessionLimits:
    """Per-statement limits applied to every fkaudit session."""

    statement_timeout_ms: int = 60_000
    lock_timeout_ms: int = 1_000
    connect_timeout_s: int = 10


def resolve_dsn(dsn: str | None) -> str:
    """The DSN argument, else `$DATABASE_URL`, else "" (libpq then reads the PG* variables)."""
    if dsn:
        return dsn
    return os.environ.get("DATABASE_URL", "")


def connect(dsn: str | None, limits: SessionLimits | None = None) -> psycopg.Connection[Any]:
    """Connect and return a read-only session whose transactions see one snapshot each."""
    limits = limits or SessionLimits()
    dsn = resolve_dsn(dsn)
    params = parse_dsn(dsn)  # refuses, naming no part of it, a DSN that may leak a password
    extra: dict[str, Any] = {"application_name": APPLICATION_NAME}
    if "connect_timeout" not in params:
        extra["connect_timeout"] = limits.connect_timeout_s
    try:
        conn = psycopg.connect(dsn, autocommit=True, **extra)
    except psycopg.Error as exc:
        raise ConnectionFailed(
            f"cannot connect to {describe_target(params)}: {one_line(exc)}"
        ) from None
    try:
        _check_server(conn)
        conn.execute(
            "SELECT pg_catalog.set_config('default_transaction_read_only', 'on', false),"
            " pg_catalog.set_config('statement_timeout', %s, false),"
            " pg_catalog.set_config('lock_timeout', %s, false)",
            (f"{limits.statement_timeout_ms}ms", f"{limits.lock_timeout_ms}ms"),
        )
        conn.autocommit = False
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    except BaseException:
        conn.close()
        raise
    return conn


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
