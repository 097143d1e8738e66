"""Reporters: one module per output format, each a pure function `render(report) -> str`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports FORMATS at start-up: keep this module light
    from fkaudit.engine import Report

FORMATS = ("table", "json")


def renderer(fmt: str) -> Callable[[Report], str]:
    """The `render` function of format `fmt` (imported on demand)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    module = importlib.import_module(f"{__name__}.{fmt}_format")
    render: Callable[[Report], str] = module.render
    return render
