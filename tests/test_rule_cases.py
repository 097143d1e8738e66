"""Run the SQL rule cases (tests/cases/*.sql) against a real server.

Three checks per case:
- the findings of the file's rules are exactly the expected ones;
- FK101/FK102 agree with the planner's plan of the RI lookup, for every foreign key;
- every printed fix statement runs as printed and clears its finding, and after all of them
  no naming finding is left (renames converge instead of chasing each other).

Each case is loaded once into a schema of its own and only that schema's tables are analyzed
(an `ANALYZE` of the whole database, catalogs included, cost far more than the checks). The
first two checks only read, so they share the build; the fix check changes the schema, so it
marks the build as changed and any check that runs after it on that case gets a fresh one.
`case` is a module-scoped parametrized fixture, which makes pytest run a case's three checks
one after the other and keep a single build alive at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

import fkaudit
from fkaudit.api import read_catalog
from fkaudit.catalog.scope import Scope
from fkaudit.config import Config, RuleConfig
from tests.caseloader import Case, all_cases
from tests.conftest import create_database, drop_database
from tests.ri_oracle import Grade, RiStatementError, explain_verdict

CASES = all_cases()
_schema_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def cases_db(server_dsn: str) -> Iterator[str]:
    dsn = create_database(server_dsn)
    yield dsn
    drop_database(server_dsn, dsn)


class CaseBuild:
    """One case loaded into a schema of its own, rebuilt when a check has changed it."""

    def __init__(self, case: Case, dsn: str) -> None:
        self.case = case
        self.dsn = dsn
        self.schema = ""
        self.changed = False
        self._conn: psycopg.Connection[Any] | None = None
        self._report: fkaudit.Report | None = None

    def _load(self) -> None:
        """Load the case into a fresh schema; the connection's search_path is that schema."""
        self.drop()
        self.schema = f"case_{next(_schema_numbers)}"
        self.changed = False
        self._report = None
        conn = self._conn = psycopg.connect(self.dsn, autocommit=True)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(self.schema)))
        for statement in self.case.statements:
            if statement.expect_error:
                with pytest.raises(psycopg.Error):
                    conn.execute(statement.text)
            else:
                conn.execute(statement.text)
        tables = [
            sql.Identifier(self.schema, name)
            for (name,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace "
                "AND relkind IN ('r', 'p', 'm') ORDER BY relname",
                (self.schema,),
            )
        ]
        if tables:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(tables)))

    def reading(self) -> psycopg.Connection[Any]:
        """A connection to the case as its statements left it."""
        if self._conn is None or self.changed:
            self._load()
        assert self._conn is not None
        return self._conn

    def report(self) -> fkaudit.Report:
        """The audit by the file's rules of the case as its statements left it (run once)."""
        conn = self.reading()
        if self._report is None:
            self._report = _audit(conn, self.schema, self.case)
        return self._report

    def changing(self) -> psycopg.Connection[Any]:
        """A connection to the case as its statements left it, for a check that changes it."""
        conn = self.reading()
        self.changed = True
        return conn

    def drop(self) -> None:
        if self._conn is None:
            return
        with self._conn as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
        self._conn = None


@pytest.fixture(scope="module", params=CASES, ids=[c.id for c in CASES])
def case(request: pytest.FixtureRequest, cases_db: str, server_version: int) -> Iterator[CaseBuild]:
    """The case of this test, built on first use and dropped after its last check."""
    loaded: Case = request.param
    if server_version < loaded.min_version * 10000:
        pytest.skip(f"needs PostgreSQL {loaded.min_version}+")
    build = CaseBuild(loaded, cases_db)
    try:
        yield build
    finally:
        build.drop()


def _audit(conn: psycopg.Connection[Any], schema: str, case: Case) -> fkaudit.Report:
    config = Config(
        rules={code: RuleConfig(options=options) for code, options in case.options.items()}
    )
    report = fkaudit.audit(conn, select=case.rules, scope=Scope(schemas=(schema,)), config=config)
    assert not report.errors, report.errors
    return report


def _key(finding: fkaudit.Finding) -> tuple[str, str]:
    """(code, constraint) of a finding; `[table]` for a finding about a table."""
    return (finding.code, finding.constraint or f"[{finding.table}]")


def test_case_findings(case: CaseBuild, server_version: int) -> None:
    assert {_key(f) for f in case.report().findings} == case.case.expected(server_version)


def test_case_agrees_with_planner(case: CaseBuild) -> None:
    """FK101/FK102 say what the plan of the RI trigger's child-side statement does
    (tests/ri_oracle.py, the statement rebuilt and EXPLAINed with a key per leaf)."""
    conn = case.reading()
    scope = Scope(schemas=(case.schema,))
    report = fkaudit.audit(conn, select=["FK101", "FK102"], scope=scope)
    by_fk = {f.constraint: f.code for f in (*report.findings, *report.suppressed)}
    catalog = read_catalog(conn, scope)
    expected = {"FK101": Grade.NONE, "FK102": Grade.PARTIAL}
    for fk in catalog.inspected_foreign_keys:
        if fk.is_period:
            continue  # range containment, not equality: not an RI-style equality lookup
        ours = expected.get(by_fk.get(fk.name, ""), Grade.FULL)
        try:
            truth = explain_verdict(conn, fk.oid)
        except RiStatementError as exc:
            # No collation for the comparison: every delete of a referenced parent row fails,
            # there is no lookup to grade.
            assert exc.sqlstate == "42P22", f"{fk.name}: {exc}"
            continue
        assert truth.grade == ours, f"{fk.name}: fkaudit {ours.name}, {truth.describe()}"


def test_case_fixes_clear_their_findings(case: CaseBuild) -> None:
    # The latest audit stands until the next statement runs: the schema cannot change between.
    latest = case.report()
    conn, schema, loaded = case.changing(), case.schema, case.case
    for finding in latest.findings:
        key = _key(finding)
        for statement in (finding.fix, finding.suggestion):
            if statement is None or key not in {_key(f) for f in latest.findings}:
                continue  # nothing to fix, or an earlier fix (a rename) already did
            conn.execute(statement)
            latest = _audit(conn, schema, loaded)
            assert key not in {_key(f) for f in latest.findings}, statement
    renames = [f for f in latest.findings if f.code in ("FK201", "FK202")]
    assert not [f for f in renames if f.fix], "a second run would rename again"
