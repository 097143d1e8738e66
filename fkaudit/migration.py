"""`fkaudit fix`: one SQL migration for what can be fixed mechanically, a pure function of a report.

Statements run in an order that keeps every statement valid after the ones before it:
constraints are validated or dropped while they still have their current names, indexes are
created next, then renames, and RI triggers are enabled last (that needs a superuser). A
constraint that is dropped is not also renamed or validated. Identical statements (two rules
asking for the same index, FK201 and FK202 agreeing on a new name) are written once. Changes
that need a decision are appended as commented-out suggestions. VALIDATE CONSTRAINT stays a
mechanical fix only for a key an exact orphan scan found clean: with orphans counted, or no
scan, it would stop the script half-applied, so it joins the decisions, after the orphan remedy.

The script is meant for psql without a surrounding transaction: CREATE INDEX CONCURRENTLY
refuses to run inside one.
"""

from __future__ import annotations

from collections.abc import Iterable

from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.report import Report

# Lower runs first. Anything not listed (future rules) runs with the indexes. Enabling RI
# triggers needs a superuser (they are system triggers), so it runs last: on a managed server
# where it fails, everything before it has been applied.
_PHASE = {"FK401": 1, "FK601": 2, "FK201": 4, "FK202": 4, "FK402": 5}
_NOTES = {"FK402": "-- needs a superuser: RI triggers are system triggers"}
_DEFAULT_PHASE = 3
_DROPS = {"FK601"}
_VALIDATES = "FK401"  # VALIDATE CONSTRAINT: fails on the first orphan row
_ORPHANS = "FK501"


def _comment(finding: Finding) -> str:
    """The finding as one SQL comment line: names and messages escaped to printable text."""
    return printable(
        f"-- {finding.code} {finding.name} on {finding.qualified_object}: {finding.message}"
    )


def _commented(statements: str) -> list[str]:
    """Statements as comment lines (each statement is already one printable line)."""
    return [f"-- {printable(line)}" for line in statements.split("\n")]


def _key(finding: Finding) -> tuple[str, str, str | None]:
    return (finding.schema, finding.table, finding.constraint)


def _validate_is_safe(finding: Finding, report: Report) -> bool:
    """Only a key an exact orphan scan found clean validates for certain."""
    constraint = finding.constraint or ""
    return (finding.schema, finding.table, constraint) in report.scanned_clean


def _why_not_validated(finding: Finding, report: Report) -> str:
    orphans = [f for f in report.findings if f.code == _ORPHANS and _key(f) == _key(finding)]
    if orphans:
        return (
            f"-- not run: {_ORPHANS} found rows this key does not match (above); VALIDATE "
            "fails on the first of them. Delete or repair them, then uncomment."
        )
    return (
        "-- not run: this key's rows were not scanned for orphans (FK501 not run, --orphans "
        "off, a sampled or failed scan), so VALIDATE may fail on one; run fkaudit fix with "
        "FK501, or uncomment once you know there are none."
    )


def _mechanical(findings: Iterable[Finding]) -> list[Finding]:
    """Findings whose fix runs, minus those about a constraint another fix drops."""
    with_fix = [f for f in findings if f.fix]
    dropped = {_key(f) for f in with_fix if f.code in _DROPS}
    kept = [f for f in with_fix if f.code in _DROPS or _key(f) not in dropped]
    return sorted(kept, key=lambda f: (_PHASE.get(f.code, _DEFAULT_PHASE), f.sort_key()))


def _decisions(report: Report, deferred: list[Finding]) -> list[tuple[Finding, str, str | None]]:
    """(finding, statements, why) to comment out: suggestions, and the VALIDATEs held back.

    A held-back VALIDATE follows the other decisions on its key, so it comes after the orphan
    remedy it depends on.
    """
    items: list[tuple[Finding, str | None, str | None]]
    items = [(f, f.suggestion, None) for f in report.findings if f.suggestion]
    items += [(f, f.fix, _why_not_validated(f, report)) for f in deferred if f.fix]
    items.sort(key=lambda item: (item[0].sort_key()[:3], item[2] is not None))
    return [(f, statements, why) for f, statements, why in items if statements]


def render_migration(report: Report) -> str:
    """The migration as SQL text: header, statements with their findings, then decisions.

    Every line is either a complete one-line statement composed by `fkaudit.fixsql` or a
    comment made of printable text: nothing read from the database can end a comment early.
    """
    fixes = _mechanical(report.findings)
    deferred = [f for f in fixes if f.code == _VALIDATES and not _validate_is_safe(f, report)]
    fixes = [f for f in fixes if f not in deferred]
    decisions = _decisions(report, deferred)
    lines = [
        printable(
            f"-- fkaudit fix for database {report.database} (PostgreSQL {report.server_version})"
        ),
        "-- Run it with psql outside a transaction block (CREATE INDEX CONCURRENTLY cannot run",
        "-- inside one), stopping at the first error:",
        '--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f fix.sql',
        f"-- {len(fixes)} finding(s) fixed mechanically; {len(decisions)} change(s) that "
        "need a decision are commented out at the end.",
    ]
    written: set[str] = set()
    for finding in fixes:
        assert finding.fix is not None
        lines += ["", _comment(finding)]
        if finding.fix in written:
            lines.append("-- (fixed by the same statement, above)")
            continue
        written.add(finding.fix)
        if finding.code in _NOTES:
            lines.append(_NOTES[finding.code])
        lines.append(finding.fix)
    if decisions:
        lines += [
            "",
            "-- Decisions: each changes data or the schema's meaning, or may fail; "
            "uncomment what you want.",
        ]
    for finding, statements, why in decisions:
        lines += ["", _comment(finding)]
        if why:
            lines.append(why)
        lines += _commented(statements)
    return "\n".join(lines) + "\n"
