"""`--format github`: GitHub Actions workflow commands, so findings become annotations.

One `::error` / `::warning` / `::notice` line per finding (by severity), titled with the rule
and pointing at the schema file line when one is known. Values are escaped as the Actions
toolkit does, so a name holding a newline or `::` cannot start a command of its own. The CLI
also appends the Markdown report to `$GITHUB_STEP_SUMMARY` when that variable is set; this
module only renders (GitHub shows at most a few annotations per step, the summary has them all).
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.escape import printable
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions
from fkaudit.reporters.table_format import summary_line

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    given = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


def _annotation(finding: Finding, options: RenderOptions) -> str:
    where = options.location(finding.fingerprint)
    message = f"{printable(finding.qualified_object)}: {finding.message}"
    if finding.fix:
        message += f"\nFix: {finding.fix}"
    return command(
        _COMMANDS[finding.severity],
        message,
        file=where.path if where else None,
        line=where.line if where else None,
        title=f"{finding.code} {finding.name}",
    )


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """A workflow command per line: the findings, what did not complete, stale entries."""
    for finding in report.findings:
        yield _annotation(finding, options) + "\n"
    for error in report.errors:
        yield command("error", error.message, title="fkaudit could not complete") + "\n"
    for error in report.incomplete:
        yield command("warning", error.message, title="fkaudit: incomplete") + "\n"
    for entry in report.stale_baseline:
        message = (
            f"{entry.code} {printable(entry.qualified_object)} is fixed: remove it "
            "from the baseline (--update-baseline)"
        )
        yield command("notice", message, title="stale baseline entry") + "\n"
    if not options.quiet:
        yield summary_line(report) + "\n"
