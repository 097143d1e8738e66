"""No password is ever printed, and no message is mangled to hide one.

Against a real server with scram passwords: passwords holding `@`, spaces and quotes, given in
URIs, keyword strings, URI query parameters and $PGPASSWORD. Messages name the target as
`user@host:port/dbname` and keep the server's text intact.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import conninfo, sql

from fkaudit.server import ThrowawayServer

AT_PASSWORD = "p@ssW0rd"
QUOTED_PASSWORD = "it's a s3cret \\ word"


def run_fkaudit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fkaudit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str], *secrets: str) -> str:
    """The single stderr line of a run that failed with exit 2, checked for the secrets."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    for secret in secrets:
        assert secret not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "***" not in lines[0]  # nothing masked: nothing secret was there to mask
    return lines[0]


@pytest.fixture(scope="module")
def socket_dir() -> Iterator[str]:
    """A throwaway server's socket directory; roles `app` and `quoted` need scram passwords."""
    with ThrowawayServer(os.environ.get("FKAUDIT_TEST_PG_BINDIR") or None) as server:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            for role, password in (("app", AT_PASSWORD), ("quoted", QUOTED_PASSWORD)):
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
            hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
            conn.execute("SELECT pg_reload_conf()")
        yield str(server.socket_dir)


def test_an_unencoded_at_in_the_uri_password_is_refused_unprinted(socket_dir: str) -> None:
    # libpq ends the password at the first '@': password "p", host "ssW0rd@localhost".
    for dsn in (
        f"postgresql://app:{AT_PASSWORD}@localhost/postgres",
        f"postgresql://app:{AT_PASSWORD}@/postgres?host={socket_dir}",
        "postgresql://app:p@ss/W0rd@localhost/postgres",  # '/' too: host "ss", dbname "W0rd@..."
    ):
        line = one_error_line(run_fkaudit("check", dsn), "ssW0rd", "W0rd", "p@ss")
        assert line.startswith("fkaudit: error: invalid connection string:"), line
        assert "%40" in line, line
    encoded = f"postgresql://app:{quote(AT_PASSWORD, safe='')}@/postgres?host={socket_dir}"
    result = run_fkaudit("check", encoded)
    assert result.returncode == 0, result.stderr


def test_a_one_letter_pgpassword_does_not_mangle_the_message(socket_dir: str) -> None:
    dsn = conninfo.make_conninfo(host=socket_dir, user="app", dbname="postgres")
    line = one_error_line(run_fkaudit("check", dsn, env={"PGPASSWORD": "e"}))
    assert f"cannot connect to app@{socket_dir}:5432/postgres:" in line, line
    assert 'password authentication failed for user "app"' in line, line


def test_keyword_dsns_with_quoted_passwords(socket_dir: str) -> None:
    right = conninfo.make_conninfo(
        host=socket_dir, user="quoted", dbname="postgres", password=QUOTED_PASSWORD
    )
    assert "password='" in right  # libpq quoting: the password holds a space, ' and \
    result = run_fkaudit("check", right)
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr

    wrong = conninfo.make_conninfo(right, password=QUOTED_PASSWORD + " not")
    line = one_error_line(run_fkaudit("check", wrong), "s3cret")
    assert f"cannot connect to quoted@{socket_dir}:5432/postgres:" in line, line
    assert 'password authentication failed for user "quoted"' in line, line


@pytest.mark.parametrize(
    "dsn",
    [
        "host=localhost password=hunter2 s3cretpart",  # libpq: missing "=" after "s3cretpart"
        "postgresql://app:s3cret%zz@localhost/postgres",  # invalid percent-encoded token
        "postgresql://app@localhost/postgres?password=s3cret%zz",
        "postgresql://app:s3cret@[::1/postgres",  # libpq quotes the whole URI
    ],
    ids=["unquoted-space", "bad-escape", "query-bad-escape", "whole-uri"],
)
def test_unparsable_dsns_quote_none_of_their_text(dsn: str) -> None:
    line = one_error_line(run_fkaudit("check", dsn), "s3cret", "hunter2")
    assert line.startswith("fkaudit: error: invalid connection string: "), line


def test_a_password_in_the_uri_query(socket_dir: str) -> None:
    base = f"postgresql://quoted@/postgres?host={socket_dir}&password="
    right = run_fkaudit("check", base + quote(QUOTED_PASSWORD, safe=""))
    assert right.returncode == 0, right.stderr
    line = one_error_line(run_fkaudit("check", base + "wrong-s3cret"), "s3cret")
    assert f"cannot connect to quoted@{socket_dir}:5432/postgres:" in line, line
    assert 'password authentication failed for user "quoted"' in line, line
