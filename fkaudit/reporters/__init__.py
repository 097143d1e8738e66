"""Reporters: one module per output format, each a pure function of the report.

`render(report, options)` yields the text in chunks: one or more whole lines each (a finding,
a table's block, a test case), every line ending in a newline, the document being their
concatenation. A report of 100,000 foreign keys is tens of megabytes of text, so writers
(`fkaudit.delivery`) pass the chunks on as they come instead of holding the document;
`render_text()` joins them for a caller that wants the whole string (tests, short reports).

What a format needs beyond the report — whether to list suppressed findings, the fail level,
the file SARIF and GitHub annotations point at, the table's width and colour — comes in
`RenderOptions`, decided by the caller, so reporters never read files or the environment.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from fkaudit.findings import Severity

if TYPE_CHECKING:  # the CLI imports FORMATS at start-up: keep this module light
    from fkaudit.report import Report

FORMATS = ("table", "concise", "json", "sarif", "junit", "github", "markdown", "gitlab")


@dataclass(frozen=True)
class SourceLine:
    """Where a finding's object is defined: a path relative to the repository, and a line."""

    path: str
    line: int = 1


@dataclass(frozen=True)
class RenderOptions:
    """Everything a format needs besides the report."""

    show_suppressed: bool = False
    fail_on: Severity = Severity.WARNING  # JUnit fails, and annotations error, from this level
    # The file results point at (SARIF artifactLocation, GitHub annotations); None: no file.
    artifact: str | None = None
    # Finer locations by finding fingerprint, when the definitions were found in SQL files.
    locations: Mapping[str, SourceLine] = field(default_factory=dict)
    # `-q`: the findings (and what stopped the run) only, without the closing summary.
    quiet: bool = False
    # The table format's line width and colour, for the stream it goes to (`fkaudit.terminal`
    # decides): 80 columns and no escapes unless the caller knows better. Machine formats
    # ignore both.
    width: int = 80
    color: bool = False

    def location(self, fingerprint: str) -> SourceLine | None:
        found = self.locations.get(fingerprint)
        if found is None and self.artifact is not None:
            return SourceLine(self.artifact)
        return found


DEFAULT_OPTIONS = RenderOptions()


def located_message(message: str, where: SourceLine | None) -> str:
    """`message` led by `path:line:` when the finding's definition (or, in a review, the
    migration statement that caused it) was found: how JUnit and Markdown, which have no
    location field a reader sees, show where to look. A review's FK7xx messages already start
    with their statement's `path:line:` and are left as they are."""
    if where is None:
        return message
    lead = f"{where.path}:{where.line}:"
    return message if message.startswith(lead) else f"{lead} {message}"


class Render(Protocol):
    def __call__(self, report: Report, options: RenderOptions = ...) -> Iterator[str]: ...


def renderer(fmt: str) -> Render:
    """The `render` function of format `fmt` (imported on demand)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"{__name__}.{fmt}_format")
    render: Render = module.render
    return render


def render_text(fmt: str, report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    """The whole report in format `fmt` as one string (ending in a newline): for tests and
    short reports; a writer takes the chunks of `renderer(fmt)` as they come."""
    return "".join(renderer(fmt)(report, options))
