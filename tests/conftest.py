"""Shared fixtures: a real PostgreSQL server and a fresh database per test.

Tests run in several processes (pytest-xdist, `-n auto` in pyproject.toml), each with a server
of its own unless FKAUDIT_TEST_DSN or FKAUDIT_TEST_IMAGE names a shared one; database names
carry the worker's name. A fresh database is a copy of a template made once per server, which
already holds the btree_gist/btree_gin extensions: copying it costs a fifth of creating a
database and the extensions in it. Throwaway servers started in this process (the suite's own,
`--schema-file` through CliRunner) live in memory where possible and run initdb once per
command line: tests/throwaway.py.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from tests.pgserver import suite_server_dsn
from tests.throwaway import faster_throwaway_servers, memory_directory

_database_numbers = itertools.count(1)
#: The template database made for each server (by admin DSN) in this process.
_templates: dict[str, str] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject.toml): one worker more than there are CPUs.

    Most of the suite's time is spent waiting (on the server, on started processes, on
    timeouts a test provokes), so a third worker still gains on two cores: the full suite took
    95 s in one process, 52 s with two workers and 43 s with three. PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when set.
    """
    if chosen := os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(chosen)
    return (os.cpu_count() or 1) + 1


def _database_prefix() -> str:
    """`fkaudit_test_`, with the pytest-xdist worker's name: workers may share a server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"fkaudit_test_{worker}_" if worker else "fkaudit_test_"


@pytest.fixture(scope="session", autouse=True)
def _faster_throwaway_servers() -> Iterator[None]:
    """Throwaway servers on tmpfs, initdb once per command line (tests/throwaway.py); the
    copies initdb's first runs are kept in go when the session ends."""
    with (
        tempfile.TemporaryDirectory(prefix="fkaudit-initdb-", dir=memory_directory()) as cache,
        faster_throwaway_servers(Path(cache)),
    ):
        yield


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    with suite_server_dsn() as dsn:
        yield dsn
        for admin_dsn, template in list(_templates.items()):
            if admin_dsn == dsn:
                drop_database(dsn, conninfo.make_conninfo(dsn, dbname=template))
                del _templates[admin_dsn]


@pytest.fixture(scope="session")
def server_version(server_dsn: str) -> int:
    with psycopg.connect(server_dsn) as conn:
        return conn.info.server_version


def _template(admin_dsn: str) -> str:
    """The name of this server's template database, created on first use."""
    if admin_dsn in _templates:
        return _templates[admin_dsn]
    name = f"{_database_prefix()}template"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(conninfo.make_conninfo(admin_dsn, dbname=name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    _templates[admin_dsn] = name
    return name


def create_database(admin_dsn: str) -> str:
    """Create an empty database (with the btree_gist/btree_gin extensions); return its DSN."""
    template = _template(admin_dsn)
    name = f"{_database_prefix()}{next(_database_numbers)}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return conninfo.make_conninfo(admin_dsn, dbname=name)


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


@pytest.fixture(scope="session")
def long_scans_db(server_dsn: str) -> Iterator[str]:
    """A database whose two NOT VALID foreign keys (c_p, d_p) each take seconds to scan for
    orphans: 2.5 million rows apiece, none with a parent. For the tests that interrupt running
    scans; they only read it, so it is built once."""
    dsn = create_database(server_dsn)
    with psycopg.connect(dsn, autocommit=True) as connection:
        for statement in (
            "CREATE TABLE p (id int PRIMARY KEY)",
            "CREATE TABLE c (p_id int)",
            "INSERT INTO c SELECT g FROM generate_series(1, 2500000) g",
            "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
            "CREATE TABLE d AS SELECT * FROM c",
            "ALTER TABLE d ADD CONSTRAINT d_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
        ):
            connection.execute(statement)
    yield dsn
    drop_database(server_dsn, dsn)


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test's fresh database, for setting it up."""
    with psycopg.connect(db, autocommit=True) as connection:
        yield connection
