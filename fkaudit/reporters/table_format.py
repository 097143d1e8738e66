"""`--format table` (default): findings grouped by table, then a one-line summary.

Meant for a person at a terminal: one block per referencing table, severity first so errors
stand out, the fix statement under each finding, and a summary that says what was looked at.
Names are shown escaped to one line (`printable`): this is also what a CI log shows, where a
line of a name's own could pass for a workflow command.
"""

from __future__ import annotations

from itertools import groupby

from tabulate import tabulate

from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions


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


def summary_line(report: Report) -> str:
    counts = ", ".join(f"{n} {label}" for label, n in report.counts().items())
    suppressed = f", {len(report.suppressed)} suppressed" if report.suppressed else ""
    baselined = f", {len(report.baselined)} in the baseline" if report.baselined else ""
    return (
        f"{len(report.findings)} finding(s) ({counts}{suppressed}{baselined}) in "
        f"{report.foreign_keys_inspected} "
        f"foreign key(s) on {report.tables_inspected} table(s) of {printable(report.database)} "
        f"(PostgreSQL {report.server_version}) in {report.elapsed_seconds:.2f}s"
    )


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    blocks = []
    for (schema, table), group in groupby(report.findings, key=lambda f: (f.schema, f.table)):
        findings = list(group)
        blocks.append(printable(f"{schema}.{table}"))
        blocks.append(
            tabulate(
                _rows(findings),
                headers=["severity", "rule", "constraint", "message"],
                tablefmt="simple",
                maxcolwidths=[None, None, 36, 72],
            )
        )
        blocks.extend(_fixes(findings))
        blocks.append("")
    if options.show_suppressed and report.suppressed:
        blocks.append("suppressed by fkaudit:ignore comments")
        blocks.append(
            tabulate(
                [
                    [f.severity.label, f.code, printable(f.qualified_object), f.message]
                    for f in report.suppressed
                ],
                headers=["severity", "rule", "object", "message"],
                tablefmt="simple",
                maxcolwidths=[None, None, 36, 72],
            )
        )
        blocks.append("")
    if report.stale_baseline:
        blocks.append("stale baseline entries (fixed since; --update-baseline removes them)")
        blocks.extend(printable(f"  {e.code} {e.qualified_object}") for e in report.stale_baseline)
        blocks.append("")
    blocks.extend(f"error: {e.message}" for e in report.errors)
    if not report.findings and not report.errors:
        blocks.append("No foreign-key problems found.")
    blocks.append(summary_line(report))
    return "\n".join(blocks)
