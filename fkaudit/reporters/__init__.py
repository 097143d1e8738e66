"""Reporters: one module per output format, each a pure function of the report.

`render(report, *, show_suppressed=False) -> str`: suppressed findings are always counted and
listed only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the CLI imports FORMATS at start-up: keep this module light
    from fkaudit.engine import Report

FORMATS = ("table", "json")


class Render(Protocol):
    def __call__(self, report: Report, *, show_suppressed: bool = False) -> str: ...


def renderer(fmt: str) -> Render:
    """The `render` function of format `fmt` (imported on demand)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"{__name__}.{fmt}_format")
    render: Render = module.render
    return render
