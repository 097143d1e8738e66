"""`--format table` (default): findings grouped by table, then a one-line summary.

Meant for a person at a terminal: one block per referencing table, severity first so errors
stand out, the fix statement under each finding, and a summary that says what was looked at.
Names are shown escaped to one line (`printable`): this is also what a CI log shows, where a
line of a name's own could pass for a workflow command.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, columns

_HEADERS = ("severity", "rule", "constraint", "message")


def _rows(findings: list[Finding]) -> list[list[str]]:
    return [[f.severity.label, f.code, printable(f.constraint or ""), f.message] for f in findings]


def _fixes(findings: list[Finding]) -> list[str]:
    """Fix statements on lines of their own: wrapping would break them for copy and paste.

    A suggestion needs a decision first (it changes what the schema means), so it is labelled
    as such rather than as a fix.
    """
    lines = []
    for f in findings:
        for label, statement in (("fix", f.fix), ("suggestion", f.suggestion)):
            if statement:
                lines.append(f"  {label} {f.code} {printable(f.constraint or '')}: {statement}")
    return lines


# Rules named in the closing summary line; the others are counted ("and 3 more rules").
TOP_RULES = 5
TIMES = "\u00d7"  # the multiplication sign before a rule's count (an escape: ruff's RUF001)


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def summary_line(report: Report) -> str:
    """One line: how many findings, of which severities, from which rules (most first, each
    with its count after a multiplication sign), then what was looked at:
    `3 findings (1 error, 2 warnings): FK101 {TIMES}2, FK301 {TIMES}1 — 4 foreign keys on 4
    tables of shop (PostgreSQL 18.0) in 0.25s`. One line: often the last of a CI log."""
    counted = [
        _count(n, label, "info" if label == "info" else None)
        for label, n in report.counts().items()
        if n
    ]
    aside = [
        f"{n} {what}"
        for n, what in (
            (len(report.suppressed), "suppressed"),
            (len(report.baselined), "in the baseline"),
        )
        if n
    ]
    counts = "; ".join(part for part in (", ".join(counted), ", ".join(aside)) if part)
    top = report.top_rules()
    named = ", ".join(f"{code} {TIMES}{n}" for code, n in top[:TOP_RULES])
    if len(top) > TOP_RULES:
        named += f" and {_count(len(top) - TOP_RULES, 'more rule')}"
    return (
        _count(len(report.findings), "finding")
        + (f" ({counts})" if counts else "")
        + (f": {named}" if named else "")
        + f" — {_count(report.foreign_keys_inspected, 'foreign key')} on "
        f"{_count(report.tables_inspected, 'table')} of {printable(report.database)} "
        f"(PostgreSQL {report.server_version}) in {report.elapsed_seconds:.2f}s"
    )


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """A block of lines per referencing table, each sized to its own cells."""
    for (schema, table), group in groupby(report.findings, key=lambda f: (f.schema, f.table)):
        findings = list(group)
        lines = [printable(f"{schema}.{table}")]
        lines += columns.table(_HEADERS, _rows(findings))
        lines += _fixes(findings)
        yield "\n".join(lines) + "\n\n"
    if options.show_suppressed and report.suppressed:
        rows = [
            [f.severity.label, f.code, printable(f.qualified_object), f.message]
            for f in report.suppressed
        ]
        lines = ["suppressed by fkaudit:ignore comments"]
        lines += columns.table(["severity", "rule", "object", "message"], rows)
        yield "\n".join(lines) + "\n\n"
    if report.stale_baseline and not options.quiet:
        yield "stale baseline entries (fixed since; --update-baseline removes them)\n"
        for entry in report.stale_baseline:
            yield printable(f"  {entry.code} {entry.qualified_object}") + "\n"
        yield "\n"
    for error in report.errors:
        yield f"error: {error.message}\n"
    if options.quiet:  # -q: the findings, and what stopped the run, only
        return
    if not report.findings and not report.errors:
        yield "No foreign-key problems found.\n"
    yield summary_line(report) + "\n"
