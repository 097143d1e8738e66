"""`--format concise`: one line per finding, for grep, editors and `sort | uniq -c`.

With a location (the definition found in `--schema-file`/`--migrations` files, or the
`--sarif-artifact` file) a line reads `path:line:col: CODE message`, the shape compilers and
ruff's concise format print, which editors' quickfix lists and problem matchers jump to; the
column is 1, since definitions are located by line. Without one it reads
`schema.table.constraint: CODE message`. The closing summary line of the table format follows
(not with `-q`); it never has that shape, so `grep ': FK'` keeps the findings only.

Names and messages come from the database: shown escaped to one line (`printable`), and a line
that would start with a name never starts with `::`, which a CI log would read as a GitHub
workflow command.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, SourceLine
from fkaudit.reporters.table_format import summary_line


def line_start(text: str) -> str:
    """`text`, escaped to one line, with a leading `::` (after any spaces) shown as `\\x3a:`:
    the GitHub runner reads a line starting so as a workflow command."""
    text = printable(text)
    start = len(text) - len(text.lstrip())
    if text.startswith("::", start):
        return f"{text[:start]}\\x3a{text[start + 1 :]}"
    return text


def finding_line(finding: Finding, options: RenderOptions, label: str = "") -> str:
    """`path:line:1: CODE message`, else `schema.table.constraint: CODE message`; `label`
    (`[suppressed] `) goes before the message."""
    # A fingerprint is a hash: computed only when there are locations to look it up in.
    where = (
        options.location(finding.fingerprint)
        if options.locations
        else (SourceLine(options.artifact) if options.artifact is not None else None)
    )
    place = (
        f"{line_start(where.path)}:{where.line}:1"
        if where is not None
        else line_start(finding.qualified_object)
    )
    message = finding.message
    if where is not None:  # a review's FK7xx message starts with the place it is shown at
        message = message.removeprefix(f"{where.path}:{where.line}: ")
    return f"{place}: {finding.code} {label}{printable(message)}"


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """The findings a line each, in report order (by object, then rule); suppressed ones too,
    labelled, with `--show-suppressed`; then what stopped the run and the summary line."""
    for finding in report.findings:
        yield finding_line(finding, options) + "\n"
    if options.show_suppressed:
        for finding in report.suppressed:
            yield finding_line(finding, options, "[suppressed] ") + "\n"
    for error in report.errors:
        yield f"error: {error.message}\n"
    if not options.quiet:
        yield summary_line(report) + "\n"
