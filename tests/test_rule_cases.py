"""Run the SQL rule cases (tests/cases/*.sql) against a real server.

Three checks per case, each in a fresh schema:
- the findings of the file's rules are exactly the expected ones;
- FK101/FK102 agree with the planner's plan of the RI lookup, for every foreign key;
- every printed fix statement runs as printed and clears its finding, and after all of them
  no naming finding is left (renames converge instead of chasing each other).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql

import fkaudit
from fkaudit.api import read_catalog
from fkaudit.catalog.coverage import Coverage
from fkaudit.catalog.scope import Scope
from fkaudit.config import Config, RuleConfig
from tests.caseloader import Case, all_cases
from tests.conftest import create_database, drop_database
from tests.planner import planner_verdict

CASES = all_cases()
_schema_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def cases_db(server_dsn: str) -> Iterator[str]:
    dsn = create_database(server_dsn)
    yield dsn
    drop_database(server_dsn, dsn)


@contextmanager
def case_schema(
    case: Case, dsn: str, server_version: int
) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    """Load the case into a fresh schema; yield a connection whose search_path is it."""
    if server_version < case.min_version * 10000:
        pytest.skip(f"needs PostgreSQL {case.min_version}+")
    schema = f"case_{next(_schema_numbers)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema)))
        try:
            for statement in case.statements:
                if statement.expect_error:
                    with pytest.raises(psycopg.Error):
                        conn.execute(statement.text)  # type: ignore[arg-type]
                else:
                    conn.execute(statement.text)  # type: ignore[arg-type]
            conn.execute("ANALYZE")
            yield conn, schema
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _audit(conn: psycopg.Connection[Any], schema: str, case: Case) -> fkaudit.Report:
    config = Config(
        rules={code: RuleConfig(options=options) for code, options in case.options.items()}
    )
    report = fkaudit.audit(conn, select=case.rules, scope=Scope(schemas=(schema,)), config=config)
    assert not report.errors, report.errors
    return report


def _findings(conn: psycopg.Connection[Any], schema: str, case: Case) -> set[tuple[str, str]]:
    """(code, constraint) per finding; `[table]` for a finding about a table."""
    return {(f.code, f.constraint or f"[{f.table}]") for f in _audit(conn, schema, case).findings}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_findings(case: Case, cases_db: str, server_version: int) -> None:
    with case_schema(case, cases_db, server_version) as (conn, schema):
        assert _findings(conn, schema, case) == case.fires


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_agrees_with_planner(case: Case, cases_db: str, server_version: int) -> None:
    with case_schema(case, cases_db, server_version) as (conn, schema):
        report = fkaudit.audit(conn, select=["FK101", "FK102"], scope=Scope(schemas=(schema,)))
        by_fk = {f.constraint: f.code for f in (*report.findings, *report.suppressed)}
        catalog = read_catalog(conn, Scope(schemas=(schema,)))
        expected = {"FK101": Coverage.NONE, "FK102": Coverage.PARTIAL}
        for fk in catalog.inspected_foreign_keys:
            if fk.is_period:
                continue  # range containment, not equality: not an RI-style equality lookup
            ours = expected.get(by_fk.get(fk.name, ""), Coverage.FULL)
            assert planner_verdict(conn, catalog, fk) == ours, fk.name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_fixes_clear_their_findings(case: Case, cases_db: str, server_version: int) -> None:
    with case_schema(case, cases_db, server_version) as (conn, schema):
        for finding in _audit(conn, schema, case).findings:
            key = (finding.code, finding.constraint or f"[{finding.table}]")
            for statement in (finding.fix, finding.suggestion):
                if statement is None or key not in _findings(conn, schema, case):
                    continue  # nothing to fix, or an earlier fix (a rename) already did
                conn.execute(statement)  # type: ignore[arg-type]
                assert key not in _findings(conn, schema, case), statement
        renames = [f for f in _audit(conn, schema, case).findings if f.code in ("FK201", "FK202")]
        assert not [f for f in renames if f.fix], "a second run would rename again"
