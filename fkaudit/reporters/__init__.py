"""Reporters: one module per output format, each a pure function of the report.

`render(report, options) -> str`. What a format needs beyond the report — whether to list
suppressed findings, the fail level, the file SARIF and GitHub annotations point at — comes in
`RenderOptions`, decided by the caller, so reporters never read files or the environment.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from fkaudit.findings import Severity

if TYPE_CHECKING:  # the CLI imports FORMATS at start-up: keep this module light
    from fkaudit.report import Report

FORMATS = ("table", "json", "sarif", "junit", "github", "markdown")


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

    def location(self, fingerprint: str) -> SourceLine | None:
        found = self.locations.get(fingerprint)
        if found is None and self.artifact is not None:
            return SourceLine(self.artifact)
        return found


DEFAULT_OPTIONS = RenderOptions()


class Render(Protocol):
    def __call__(self, report: Report, options: RenderOptions = ...) -> str: ...


def renderer(fmt: str) -> Render:
    """The `render` function of format `fmt` (imported on demand)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"{__name__}.{fmt}_format")
    render: Render = module.render
    return render
