"""`--format markdown`: a compact report for a pull-request comment or a CI job summary.

A headline with the counts, one table row per finding (the first `MAX_ROWS` by severity, errors
first, then in table order: a comment has a size limit and nobody reads a thousand rows in one,
but an error must never be the row left out while infos are shown; what is left out is counted
per severity; a finding whose place in the SQL files is known has its message led by
`path:line:`), the fixes folded away under `<details>`,
stale baseline entries, and what was inspected. Names are escaped, so a table called `a|b` or
`<script>` cannot break the table or the page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fkaudit.escape import printable
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, located_message

MAX_ROWS = 100
_ESCAPED = "\\`*_{}[]<>()#+-.!|~"


def escape(text: str) -> str:
    """Plain text in Markdown: on one line (a table cell), punctuation backslash-escaped."""
    return "".join(f"\\{ch}" if ch in _ESCAPED else ch for ch in printable(text))


def code_block(text: str, language: str = "sql") -> str:
    """A fenced block whose fence is longer than any backtick run inside (names can hold them)."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _row(finding: Finding, options: RenderOptions) -> str:
    label = finding.severity.label
    severity = f"**{label}**" if finding.severity is Severity.ERROR else label
    # Only a place found in the files (a hash per finding: looked up when there are any).
    where = options.locations.get(finding.fingerprint) if options.locations else None
    cells = [
        severity,
        f"{finding.code} {escape(finding.name)}",
        escape(finding.qualified_object),
        escape(located_message(finding.message, where)),
    ]
    return "| " + " | ".join(cells) + " |"


def _fixes(findings: Sequence[Finding]) -> list[str]:
    statements = [
        printable(f"-- {f.code} {f.qualified_object}") + f"\n{f.fix}" for f in findings if f.fix
    ]
    if not statements:
        return []
    return [
        f"<details><summary>Fixes ({len(statements)})</summary>",
        "",
        code_block("\n\n".join(statements)),
        "",
        "</details>",
        "",
    ]


def most_severe(findings: tuple[Finding, ...], limit: int) -> tuple[list[Finding], dict[str, int]]:
    """The first `limit` findings by severity (highest first; table order within one), and
    how many of each severity are left out (highest first)."""
    ordered = sorted(findings, key=lambda f: -f.severity)  # stable: table order kept
    left_out = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for finding in ordered[limit:]:
        left_out[finding.severity.label] += 1
    return ordered[:limit], (left_out if len(ordered) > limit else {})


def headline(report: Report) -> str:
    counts = ", ".join(f"{n} {label}" for label, n in report.counts().items())
    if report.errors:
        return f"### fkaudit could not complete the audit ({len(report.errors)} error(s))"
    if not report.findings:
        return (
            "### fkaudit: no new foreign-key problems"
            if report.baselined
            else ("### fkaudit: no foreign-key problems")
        )
    return f"### fkaudit: {len(report.findings)} finding(s) ({counts})"


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """The report a line (a table row) at a time; at most `MAX_ROWS` findings are listed."""
    yield headline(report) + "\n\n"
    for error in (*report.errors, *report.incomplete):
        yield f"- {escape(error.message)}\n"
    if report.errors or report.incomplete:
        yield "\n"
    if report.findings:
        shown, left_out = most_severe(report.findings, MAX_ROWS)
        yield "| severity | rule | object | message |\n|---|---|---|---|\n"
        for finding in shown:
            yield _row(finding, options) + "\n"
        if left_out:
            counts = ", ".join(f"{n} {label}" for label, n in left_out.items() if n)
            more = sum(left_out.values())
            yield f"\n… and {more} more ({counts}): run fkaudit for the full report.\n"
        yield "\n"
        fixes = _fixes(shown)
        if fixes:
            yield "".join(line + "\n" for line in fixes)
    if report.stale_baseline:
        yield "Stale baseline entries (fixed since; `--update-baseline` removes them):\n"
        for entry in report.stale_baseline:
            yield f"- {entry.code} {escape(entry.qualified_object)}\n"
        yield "\n"
    extras = [
        f"{n} {what}"
        for n, what in (
            (len(report.baselined), "accepted by the baseline"),
            (len(report.suppressed), "suppressed"),
        )
        if n
    ]
    yield (
        f"_{report.foreign_keys_inspected} foreign key(s) on {report.tables_inspected} table(s) "
        f"of {escape(report.database)} (PostgreSQL {report.server_version})"
        + "".join(f"; {extra}" for extra in extras)
        + "._\n"
    )
