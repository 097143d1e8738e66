"""Where a run's results go: the report on stdout or in a file, the job summary, stderr lines.

Reporters are pure functions of a report; this module decides what they are given (where
results point in the SQL files) and where their text is written.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.findings import Severity
from fkaudit.locate import display_path, locate_all
from fkaudit.report import Report
from fkaudit.reporters import RenderOptions, SourceLine, renderer
from fkaudit.settings import ReportOptions


def announce_problems(report: Report) -> None:
    """Each check that could not run, on stderr: errors fail the run, the allowed ones warn."""
    for error in report.errors:
        click.echo(f"fkaudit: error: {printable(error.message)}", err=True)
    for error in report.incomplete:
        click.echo(f"fkaudit: warning: {printable(error.message)}", err=True)


def deliver(
    report: Report, files: tuple[Path, ...], options: ReportOptions, fail_on: Severity
) -> None:
    """Write the report in its format to stdout, or to `options.output` with the table on
    stdout; the github format also appends the markdown report to the job summary."""
    render_options = _render_options(report, files, options, fail_on)
    output = renderer(options.fmt)(report, render_options)
    if options.output is not None:
        write_text(options.output, output)
        if options.fmt != "table":
            output = renderer("table")(report, render_options)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if options.fmt == "github" and summary_file:
        markdown = renderer("markdown")(report, render_options)
        write_text(Path(summary_file), markdown + "\n", append=True)
    click.echo(output)


def _render_options(
    report: Report, files: tuple[Path, ...], options: ReportOptions, fail_on: Severity
) -> RenderOptions:
    """Where results point: --sarif-artifact, else the definitions found in the SQL files."""
    artifact = options.sarif_artifact
    # Lines come from the artifact itself when one is named, else from the SQL files loaded.
    if artifact is not None:
        files = (Path(artifact),)
        artifact = display_path(Path(artifact))
    locations: dict[str, SourceLine] = {}
    if files and options.fmt in ("sarif", "github"):
        everything = (*report.findings, *report.baselined, *report.suppressed)
        locations = dict(locate_all(everything, files))
    if artifact is None and files:
        artifact = display_path(files[0])
    elif artifact is None and options.fmt == "sarif":
        click.echo(
            "fkaudit: note: no --sarif-artifact: SARIF results point at a path named "
            f"after the database ({report.database})",
            err=True,
        )
    return RenderOptions(
        show_suppressed=options.show_suppressed,
        fail_on=fail_on,
        artifact=artifact,
        locations=locations,
    )


def write_text(path: Path, text: str, *, append: bool = False) -> None:
    """Write `text` ending in a newline; an unwritable path is a one-line error."""
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise FkauditError(f"cannot write {path}: {exc.strerror}") from None
