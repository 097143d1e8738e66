"""Shared fixtures: a real PostgreSQL server and a fresh database per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from tests.pgserver import suite_server_dsn

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    with suite_server_dsn() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def server_version(server_dsn: str) -> int:
    with psycopg.connect(server_dsn) as conn:
        return conn.info.server_version


def create_database(admin_dsn: str) -> str:
    """Create an empty database (with the btree_gist/btree_gin extensions); return its DSN."""
    name = f"fkaudit_test_{next(_database_numbers)}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = conninfo.make_conninfo(admin_dsn, dbname=name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    return dsn


def drop_database(admin_dsn: str, dsn: str) -> None:
    name = conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(str(name))))


@pytest.fixture
def db(server_dsn: str) -> Iterator[str]:
    """A fresh, empty database for one test; its DSN."""
    dsn = create_database(server_dsn)
    yield dsn
    drop_database(server_dsn, dsn)


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test's fresh database, for setting it up."""
    with psycopg.connect(db, autocommit=True) as connection:
        yield connection
