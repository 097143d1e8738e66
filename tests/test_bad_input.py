"""Bad input ends with one line on stderr and exit 2: no traceback, never the password."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo

from fkaudit.server import ThrowawayServer

SECRET = "S3cr3t-pw_never-printed"


def run_fkaudit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fkaudit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert SECRET not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def not_postgres() -> Iterator[int]:
    """A TCP server that answers like a web server, not like PostgreSQL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(10)

    def serve() -> None:
        try:
            while True:
                client, _ = listener.accept()
                client.recv(1024)
                client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                client.close()
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """A throwaway server requiring scram passwords for a role `app` (password SECRET)."""
    with ThrowawayServer(os.environ.get("FKAUDIT_TEST_PG_BINDIR") or None) as server:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{SECRET}'")
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(f"ALTER ROLE app PASSWORD '{SECRET}'")
            conn.execute("SELECT pg_reload_conf()")
        yield server.dsn()


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (f"host=localhost password={SECRET} garbage", "invalid connection string"),
        (f"postgresql://app:{SECRET}@localhost:5432/db?nonsense=1", "invalid connection string"),
        (f"postgresql+psycopg://app:{SECRET}@localhost/db", "invalid connection string"),
        (f"postgresql://app:{SECRET}@127.0.0.1:{_free_port()}/db", "cannot connect"),
        (f"postgresql://app:{SECRET}@no-such-host.invalid/db", "cannot connect"),
    ],
    ids=["malformed-keywords", "unknown-uri-option", "sqlalchemy-url", "refused", "unknown-host"],
)
def test_unusable_dsn(dsn: str, expected: str) -> None:
    assert_clean_failure(run_fkaudit("check", dsn), expected)


@pytest.mark.skipif(
    importlib.util.find_spec("psycopg_c") is not None,
    reason="psycopg's C implementation is installed: PSYCOPG_IMPL=c would load",
)
def test_psycopg_without_libpq() -> None:
    """Plain `fkaudit` (no `[binary]` extra) on a machine whose libpq psycopg cannot load.

    psycopg then fails at import. `PSYCOPG_IMPL=c` asks for the implementation built against
    the system's libpq, which is not installed here: psycopg really fails to import, as it does
    without any libpq. The user is told what to install, in one line, with exit code 2 (1
    would read as "findings").
    """
    dsn = f"postgresql://app:{SECRET}@127.0.0.1:{_free_port()}/db"
    result = run_fkaudit("check", dsn, env={"PSYCOPG_IMPL": "c"})
    assert_clean_failure(result, "psycopg cannot load libpq")
    assert "fkaudit[binary]" in result.stderr


def test_wrong_password(password_server: str) -> None:
    dsn = conninfo.make_conninfo(password_server, user="app", password=SECRET + "x")
    assert_clean_failure(run_fkaudit("check", dsn), "password authentication failed")
    uri_env = {"PGPASSWORD": SECRET + "x"}
    plain = conninfo.make_conninfo(password_server, user="app")
    assert_clean_failure(run_fkaudit("check", plain, env=uri_env), "password authentication")


def test_right_password_works(password_server: str) -> None:
    dsn = conninfo.make_conninfo(password_server, user="app", password=SECRET)
    result = run_fkaudit("check", dsn)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_missing_database(server_dsn: str) -> None:
    dsn = conninfo.make_conninfo(server_dsn, dbname="no_such_database_here", password=SECRET)
    assert_clean_failure(run_fkaudit("check", dsn), "no_such_database_here")


def test_server_that_is_not_postgres(not_postgres: int) -> None:
    dsn = f"postgresql://app:{SECRET}@127.0.0.1:{not_postgres}/db?sslmode=disable"
    assert_clean_failure(run_fkaudit("check", dsn), "cannot connect")


def test_unknown_rule_and_format(server_dsn: str) -> None:
    assert_clean_failure(run_fkaudit("check", server_dsn, "--select", "FK999"), "unknown rule")
    result = run_fkaudit("check", server_dsn, "--format", "yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert_clean_failure(run_fkaudit("explain", "FK999"), "unknown rule")
