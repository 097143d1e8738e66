"""The collation the RI lookup compares in, and what fkaudit says about it (issue 12).

Each verdict is checked against what the server does with the same schema: a parent delete that
fails, or the fix's index that the case files show clearing FK101.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

import fkaudit
from fkaudit.findings import Severity


def _findings(conn: psycopg.Connection[Any], *codes: str) -> dict[str, fkaudit.Finding]:
    report = fkaudit.audit(conn, select=list(codes))
    assert not report.errors, report.errors
    return {f.code: f for f in report.findings}


def test_a_referenced_domain_collation_needs_the_index_in_that_collation(
    conn: psycopg.Connection[Any],
) -> None:
    conn.execute('CREATE DOMAIN dtext AS text COLLATE "C"')
    conn.execute("CREATE TABLE p (k dtext PRIMARY KEY)")
    conn.execute("CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p)")
    conn.execute("CREATE INDEX ON c (f)")
    found = _findings(conn, "FK101", "FK103")
    assert found["FK103"].severity is Severity.WARNING
    assert 'compares f in collation "C"' in found["FK103"].message
    assert "COLLATE" in found["FK101"].message
    assert found["FK101"].fix is not None and 'COLLATE "pg_catalog"."C"' in found["FK101"].fix
    conn.execute(found["FK101"].fix)
    assert "FK101" not in _findings(conn, "FK101")


def test_conflicting_collations_are_an_error_because_every_parent_delete_fails(
    conn: psycopg.Connection[Any],
) -> None:
    conn.execute('CREATE DOMAIN dtext AS text COLLATE "C"')
    conn.execute("CREATE TABLE p (k dtext PRIMARY KEY)")
    conn.execute('CREATE TABLE c (f text COLLATE "POSIX" CONSTRAINT c_p REFERENCES p)')
    found = _findings(conn, "FK101", "FK103")
    assert found["FK103"].severity is Severity.ERROR
    assert "every delete or key update of a referenced row fails" in found["FK103"].message
    assert found["FK101"].fix is None  # no index can help
    conn.execute("INSERT INTO p VALUES ('a'), ('b')")
    conn.execute("INSERT INTO c VALUES ('a')")  # the child-side check compares on the parent
    with pytest.raises(psycopg.errors.IndeterminateCollation):
        conn.execute("DELETE FROM p WHERE k = 'b'")  # the lookup compares with every child row


def _icu_nondeterministic(conn: psycopg.Connection[Any]) -> None:
    try:
        conn.execute(
            "CREATE COLLATION nd (provider = icu, locale = 'und-u-ks-level2', "
            "deterministic = false)"
        )
    except psycopg.Error as exc:
        pytest.skip(f"no ICU collations on this server: {exc}")


def _key_accepted(conn: psycopg.Connection[Any], create: str, server_version: int) -> bool:
    """Run `create`, a key whose collations differ with a nondeterministic one: 12-17 accept it
    (True); 18 must refuse it (42P21), which is then what the test checks (False)."""
    if server_version < 180000:
        conn.execute(create)
        return True
    with pytest.raises(psycopg.errors.CollationMismatch):
        conn.execute(create)
    return False


def test_a_nondeterministic_referenced_collation_is_added_to_the_lookup_before_18(
    conn: psycopg.Connection[Any], server_version: int
) -> None:
    _icu_nondeterministic(conn)
    conn.execute("CREATE TABLE p (k text COLLATE nd PRIMARY KEY)")
    if not _key_accepted(
        conn, "CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p)", server_version
    ):
        return
    conn.execute("CREATE INDEX ON c (f)")
    assert "FK101" in _findings(conn, "FK101")  # compared in nd: the plain index is unusable
    conn.execute("CREATE INDEX ON c (f COLLATE nd)")
    assert "FK101" not in _findings(conn, "FK101")


def test_both_sides_nondeterministic_use_the_plain_index(conn: psycopg.Connection[Any]) -> None:
    _icu_nondeterministic(conn)
    conn.execute("CREATE TABLE p (k text COLLATE nd PRIMARY KEY)")
    conn.execute("CREATE TABLE c (f text COLLATE nd CONSTRAINT c_p REFERENCES p)")
    conn.execute("CREATE INDEX ON c (f)")
    assert not _findings(conn, "FK101", "FK103")


def test_set_null_takes_the_collate_out_of_the_lookup_before_15(
    conn: psycopg.Connection[Any], server_version: int
) -> None:
    """12-14 put the referenced nondeterministic COLLATE on the SET NULL value, so the lookup
    compares in the child column's own collation; 15-17 compare in the referenced one."""
    _icu_nondeterministic(conn)
    conn.execute("CREATE TABLE p (k text COLLATE nd PRIMARY KEY)")
    create = "CREATE TABLE c (f text CONSTRAINT c_p REFERENCES p ON DELETE SET NULL)"
    if not _key_accepted(conn, create, server_version):
        return
    conn.execute("CREATE INDEX ON c (f)")
    plain_serves = "FK101" not in _findings(conn, "FK101")
    assert plain_serves is (server_version < 150000)
