"""`--format table` (default): findings grouped by table, then a one-line summary.

Meant for a person at a terminal: one block per referencing table, under the table's name,
one row per finding (severity first, coloured on a terminal, so errors stand out) with its fix
statement under it, and a summary that says what was looked at. Every line fits
`RenderOptions.width` (the terminal's, decided by the caller) except a single name or quoted
token wider than it, which is shown whole rather than cut (`columns`, `statements`).
Names are shown escaped to one line (`printable`): this is also what a CI log shows, where a
line of a name's own could pass for a workflow command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby

from fkaudit.escape import printable
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions
from fkaudit.reporters.columns import INDENT, MIN_WIDTH, hanging, keep_whole, layout, row, wrap
from fkaudit.reporters.statements import statement_lines
from fkaudit.reporters.style import Style
from fkaudit.terminal import display_width

SEVERITY_WIDTH = max(len(s.label) for s in Severity)
# Between severity, code and name: one space, so that a 63-character name (PostgreSQL's longest,
# common among generated ones) still fits on its row's line at 80 columns.
SEP = " "
LABEL_INDENT = INDENT * 2  # `fix:` and `suggestion:`, under their finding's row
STATEMENT_INDENT = INDENT * 3  # a statement on lines of its own, under its label
STATEMENT_HANG = INDENT * 4  # the statement's continuation lines


def _severity_cells(style: Style) -> dict[Severity, str]:
    """Each severity's cell, indented, coloured and padded: made once per report."""
    return {
        s: INDENT + style.severity(s, s.label) + " " * (SEVERITY_WIDTH - len(s.label)) + SEP
        for s in Severity
    }


def _rows(
    findings: Sequence[Finding],
    names: Sequence[str],
    width: int,
    style: Style,
    severity: dict[Severity, str],
    fixes: bool,
) -> Iterator[str]:
    """A row per finding, `names[i]` in the name column, fitted to `width` as a block; with
    `fixes`, each finding's statements under its row. `severity`: `_severity_cells`."""
    code_width = max(len(f.code) for f in findings)
    where = layout(len(INDENT) + SEVERITY_WIDTH + len(SEP) + code_width + len(SEP), names, width)
    for finding, name in zip(findings, names, strict=True):
        lead = severity[finding.severity] + finding.code.ljust(code_width) + SEP
        kept = _kept_names(finding)
        message = keep_whole(finding.message, kept) if kept else finding.message
        yield from row(lead, name, wrap(message, where.message_width), where)
        if fixes and (finding.fix or finding.suggestion):
            yield from _statements(finding, width, style)


def _kept_names(finding: Finding) -> tuple[str, ...]:
    """The names of `finding` holding a space, as its message prints them: the spaces the
    message may not be broken at. Most names have none, and cost a test each."""
    names = []
    if " " in finding.schema or " " in finding.table:
        names.append(printable(f"{finding.schema}.{finding.table}"))
    if finding.constraint and " " in finding.constraint:
        names.append(printable(finding.constraint))
    names += [printable(c) for c in finding.columns if " " in c]
    return tuple(names)


def _statements(finding: Finding, width: int, style: Style) -> Iterator[str]:
    """The finding's fix and suggestion under its row, each after its label.

    A statement that fits follows its label; a longer one, and each statement of a fix made of
    several, goes on lines of its own, broken only where SQL allows (`statements`), so it
    still runs when copied. A suggestion needs a decision first (it changes what the schema
    means), so it is labelled as such rather than as a fix.
    """
    for label, statement in (("fix", finding.fix), ("suggestion", finding.suggestion)):
        if not statement:
            continue
        head = f"{LABEL_INDENT}{style.label(label)}:"
        fits = len(LABEL_INDENT) + len(label) + 2 + display_width(statement) <= width
        if "\n" not in statement and fits:
            yield f"{head} {statement}"
            continue
        yield head
        for part in statement.split("\n"):
            yield from statement_lines(part, width, STATEMENT_INDENT, STATEMENT_HANG)


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
    """A block of lines per referencing table, each fitted to the width on its own."""
    width = max(options.width, MIN_WIDTH)
    style = Style(options.color)
    severity = _severity_cells(style)
    for (schema, table), group in groupby(report.findings, key=lambda f: (f.schema, f.table)):
        findings = list(group)
        heading = printable(f"{schema}.{table}")
        names = [printable(f.constraint) if f.constraint else "" for f in findings]
        lines = [style.heading(heading)]
        lines += _rows(findings, names, width, style, severity, fixes=True)
        yield "\n".join(lines) + "\n\n"
    if options.show_suppressed and report.suppressed:
        names = [printable(f.qualified_object) for f in report.suppressed]
        lines = [style.heading("suppressed by fkaudit:ignore comments")]
        lines += _rows(report.suppressed, names, width, style, severity, fixes=False)
        yield "\n".join(lines) + "\n\n"
    if report.stale_baseline and not options.quiet:
        heading = "stale baseline entries (fixed since; --update-baseline removes them)"
        yield style.heading(heading) + "\n"
        for entry in report.stale_baseline:
            yield printable(f"  {entry.code} {entry.qualified_object}") + "\n"
        yield "\n"
    for error in report.errors:
        first, *rest = hanging(f"error: {error.message}", width, " " * len("error: "))
        yield "\n".join([style.error("error:") + first[len("error:") :], *rest]) + "\n"
    if options.quiet:  # -q: the findings, and what stopped the run, only
        return
    if not report.findings and not report.errors:
        yield style.ok("No foreign-key problems found.") + "\n"
    summary = keep_whole(summary_line(report), [printable(report.database)])
    yield "\n".join(hanging(summary, width, INDENT)) + "\n"
