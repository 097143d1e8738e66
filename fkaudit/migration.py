"""`fkaudit fix`: one SQL migration for what can be fixed mechanically, a pure function of a report.

Statements run in an order that keeps every statement valid after the ones before it:
constraints are validated or dropped while they still have their current names, indexes are
created next, then renames, and RI triggers are enabled last (that needs a superuser). A
constraint that is dropped is not also renamed or validated. Identical statements (two rules
asking for the same index, FK201 and FK202 agreeing on a new name) are written once. Changes
that need a decision are appended as commented-out suggestions.

The script is meant for psql without a surrounding transaction: CREATE INDEX CONCURRENTLY
refuses to run inside one.
"""

from __future__ import annotations

from collections.abc import Iterable

from fkaudit.engine import Report
from fkaudit.findings import Finding

# Lower runs first. Anything not listed (future rules) runs with the indexes. Enabling RI
# triggers needs a superuser (they are system triggers), so it runs last: on a managed server
# where it fails, everything before it has been applied.
_PHASE = {"FK401": 1, "FK601": 2, "FK201": 4, "FK202": 4, "FK402": 5}
_NOTES = {"FK402": "-- needs a superuser: RI triggers are system triggers"}
_DEFAULT_PHASE = 3
_DROPS = {"FK601"}


def _comment(finding: Finding) -> str:
    """The finding as one SQL comment line (messages never contain newlines)."""
    return f"-- {finding.code} {finding.name} on {finding.qualified_object}: {finding.message}"


def _mechanical(findings: Iterable[Finding]) -> list[Finding]:
    """Findings whose fix runs, minus those about a constraint another fix drops."""
    with_fix = [f for f in findings if f.fix]
    dropped = {(f.schema, f.table, f.constraint) for f in with_fix if f.code in _DROPS}
    kept = [
        f for f in with_fix
        if f.code in _DROPS or (f.schema, f.table, f.constraint) not in dropped
    ]  # fmt: skip
    return sorted(kept, key=lambda f: (_PHASE.get(f.code, _DEFAULT_PHASE), f.sort_key()))


def render_migration(report: Report) -> str:
    """The migration as SQL text: header, statements with their findings, then suggestions."""
    fixes = _mechanical(report.findings)
    suggestions = [f for f in report.findings if f.suggestion]
    lines = [
        f"-- fkaudit fix for database {report.database} (PostgreSQL {report.server_version})",
        "-- Run it with psql outside a transaction block (CREATE INDEX CONCURRENTLY cannot run",
        '-- inside one), stopping at the first error:',
        '--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f fix.sql',
        f"-- {len(fixes)} finding(s) fixed mechanically; {len(suggestions)} suggestion(s) that "
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
    if suggestions:
        lines += ["", "-- Suggestions: each changes the schema's meaning; uncomment what you want."]
    for finding in suggestions:
        assert finding.suggestion is not None
        lines += ["", _comment(finding)]
        lines += [f"-- {line}" for line in finding.suggestion.splitlines()]
    return "\n".join(lines) + "\n"
