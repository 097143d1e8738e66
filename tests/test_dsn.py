"""Connection strings read as libpq reads them, and no part of one in a message: no server needed.

tests/test_secrets.py runs fkaudit against a server with real passwords; these pin the pieces
it is built from: which URIs are refused before libpq misreads them, which fragments of
libpq's parse errors are elided, and how a target is described from the DSN and PG* variables.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import conninfo

from fkaudit import dsn
from fkaudit.errors import ConnectionFailed


def test_parse_reads_keywords_and_uris_as_libpq_does() -> None:
    assert dsn.parse("host=db.example port=6432 dbname='my db' user=app") == {
        "host": "db.example",
        "port": "6432",
        "dbname": "my db",
        "user": "app",
    }
    assert dsn.parse("postgresql://app:p%40ss@db.example:6432/shop?sslmode=require") == {
        "user": "app",
        "password": "p@ss",
        "host": "db.example",
        "port": "6432",
        "dbname": "shop",
        "sslmode": "require",
    }
    # An '@' in the query string is no part of the user information.
    assert dsn.parse("postgres://db.example/shop?password=a@b")["password"] == "a@b"


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://app:p@ssW0rd@db.example/shop",  # libpq: password "p", host "ssW0rd@..."
        "postgresql://app:pa/ss@db.example/shop",  # libpq: host "app", port "pa"
        "POSTGRES://app@x@db.example/shop",
    ],
)
def test_an_unencoded_at_or_slash_in_the_user_information_is_refused(uri: str) -> None:
    with pytest.raises(ConnectionFailed) as refused:
        dsn.parse(uri)
    message = str(refused.value)
    assert message.startswith("invalid connection string: ")
    assert "%40" in message and "%2F" in message
    for fragment in ("ssW0rd", "pa/ss", "app@x", "db.example"):
        assert fragment not in message


def _libpq_error(text: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as raised:
        conninfo.conninfo_to_dict(text)
    return raised.value


def test_parse_errors_keep_libpqs_reason_but_none_of_the_quoted_text() -> None:
    error = _libpq_error("host=localhost password=hunter2 s3cretpart")
    assert '"s3cretpart"' in str(error)  # libpq quotes what may be part of the password
    assert dsn.parse_error(error) == 'missing "…" after "…" in connection info string'
    error = _libpq_error("postgresql://app:s3cret%zz@localhost/db")
    assert dsn.parse_error(error) == 'invalid percent-encoded token: "…"'
    with pytest.raises(ConnectionFailed) as refused:
        dsn.parse("user=app password=hunter2 s3cretpart")
    assert "s3cretpart" not in str(refused.value) and "hunter2" not in str(refused.value)


def test_parse_errors_keep_connection_keywords_and_fit_one_line() -> None:
    message = 'invalid value for "sslmode": "s3cret"\n  DETAIL:  see "host"\n'
    assert dsn.parse_error(ValueError(message)) == (
        'invalid value for "sslmode": "…" DETAIL:  see "host"'
    )


def test_a_target_is_described_from_the_dsn_then_the_pg_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PGUSER", "PGHOST", "PGPORT", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    full = {"user": "app", "host": "db", "port": "6432", "dbname": "shop", "password": "x"}
    assert dsn.describe_target(full) == "app@db:6432/shop"  # never the password
    monkeypatch.setenv("PGUSER", "env_user")
    monkeypatch.setenv("PGHOST", "env_host")
    monkeypatch.setenv("PGPORT", "7000")
    assert dsn.describe_target({}) == "env_user@env_host:7000/env_user"  # dbname: the user
    monkeypatch.setenv("PGDATABASE", "env_db")
    assert dsn.describe_target({"host": "db"}) == "env_user@db:7000/env_db"
    for name in ("PGUSER", "PGHOST", "PGPORT", "PGDATABASE"):
        monkeypatch.delenv(name)
    described = dsn.describe_target({"user": "app"})
    assert described == "app@local socket:5432/app"
