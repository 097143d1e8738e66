"""Where a run's results go: the report on stdout or in a file, the job summary, stderr lines.

Reporters are pure functions of a report; this module decides what they are given (where
results point in the SQL files) and where their text is written. The text is written as the
reporter yields it, in pieces of about `PIECE` characters: the report of 100,000 foreign keys is
tens of megabytes, never held whole.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import click

from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.findings import Severity
from fkaudit.locate import display_path, locate_all
from fkaudit.report import Report
from fkaudit.reporters import RenderOptions, SourceLine, renderer
from fkaudit.settings import ReportOptions
from fkaudit.terminal import use_color, width


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
    stdout; the github format also appends the markdown report to the job summary. With
    `--statistics`, stdout gets the counts by rule instead (text, or JSON for `--format json`;
    the CLI has refused the other formats).

    The table fits stdout's width and is coloured by `--color` (`fkaudit.terminal`); a file
    gets `COLUMNS` or 80 columns and never an escape, whatever stdout is.
    """
    render_options = _render_options(report, files, options, fail_on)
    shown = options.fmt
    if options.output is not None:
        in_file = replace(render_options, width=width(None), color=False)
        write_chunks(options.output, renderer(options.fmt)(report, in_file))
        shown = "table"
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if options.fmt == "github" and summary_file:
        markdown = renderer("markdown")(report, render_options)
        write_chunks(Path(summary_file), markdown, append=True)
    if options.statistics:
        from fkaudit.reporters import statistics

        render = statistics.render_json if shown == "json" else statistics.render_text
    else:
        render = renderer(shown)
    color = shown == "table" and not options.statistics and use_color(options.color, sys.stdout)
    on_screen = replace(render_options, width=width(sys.stdout), color=color)
    for piece in pieces(render(report, on_screen)):
        # Told explicitly: click would strip the escapes on a pipe under --color always, and
        # strips any (there should be none) when colour is off.
        click.echo(piece, nl=False, color=color)


# The formats that show where a finding's object is defined (JUnit and Markdown in the text,
# as `path:line:`), and those that need a file path for every result (what they call a
# result, for the note when none is known).
_LOCATED = frozenset({"sarif", "github", "json", "gitlab", "concise", "junit", "markdown"})
_NEED_A_PATH = {"sarif": "SARIF results", "gitlab": "GitLab Code Quality issues"}


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
    if files and options.fmt in _LOCATED:
        everything = (*report.findings, *report.baselined, *report.suppressed)
        locations = dict(locate_all(everything, files))
    if options.fmt in _LOCATED:
        locations.update((fp, SourceLine(path, line)) for fp, path, line in report.located)
    if artifact is None and files:
        artifact = display_path(files[0])
    elif artifact is None and options.fmt in _NEED_A_PATH and not options.quiet:
        click.echo(
            f"fkaudit: note: no --sarif-artifact: {_NEED_A_PATH[options.fmt]} point at a "
            f"path named after the database ({report.database})",
            err=True,
        )
    return RenderOptions(
        show_suppressed=options.show_suppressed,
        fail_on=fail_on,
        artifact=artifact,
        locations=locations,
        quiet=options.quiet,
    )


PIECE = 1 << 16  # characters per write: few calls for a large report, little held at once


def pieces(chunks: Iterable[str], size: int = PIECE) -> Iterator[str]:
    """The chunks of a reporter joined into pieces of at least `size` characters (the last may
    be shorter): one write per chunk would be a call per finding."""
    held: list[str] = []
    length = 0
    for chunk in chunks:
        held.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(held)
            held.clear()
            length = 0
    if held:
        yield "".join(held)


def write_chunks(path: Path, chunks: Iterable[str], *, append: bool = False) -> None:
    """Write a reporter's chunks to `path` as they come; an unwritable path is a one-line error.

    A reporter's text ends in a newline, so an appended report starts on a line of its own."""
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as out:
            for piece in pieces(chunks):
                out.write(piece)
    except OSError as exc:
        raise FkauditError(f"cannot write {path}: {exc.strerror}") from None
