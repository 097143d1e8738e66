"""Colours of the table format: severity first, so errors stand out on a terminal.

Only the table is ever coloured, and only when the caller says so (`RenderOptions.color`,
decided by `fkaudit.terminal`): machine formats and files never carry escapes. Colour is
applied to text the layout has already measured and padded, so escapes never count toward a
line's width. Text from the database is escaped (`printable`) before it gets here, so no
escape sequence in the output comes from a name.
"""

from __future__ import annotations

from fkaudit.findings import Severity

RESET = "\x1b[0m"
_SEVERITY = {
    Severity.ERROR: "\x1b[1;31m",  # bold red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[34m",  # blue
}
_BOLD = "\x1b[1m"
_FIX = "\x1b[32m"  # green: fkaudit fix writes it
_SUGGESTION = "\x1b[35m"  # magenta: a person decides first
_OK = "\x1b[32m"


class Style:
    """Wraps text in SGR escapes when colour is on; returns it unchanged when off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text

    def severity(self, severity: Severity, text: str) -> str:
        return self._paint(_SEVERITY[severity], text)

    def heading(self, text: str) -> str:
        return self._paint(_BOLD, text)

    def label(self, label: str) -> str:
        """`fix` or `suggestion`, before a statement."""
        return self._paint(_FIX if label == "fix" else _SUGGESTION, label)

    def error(self, text: str) -> str:
        return self._paint(_SEVERITY[Severity.ERROR], text)

    def ok(self, text: str) -> str:
        return self._paint(_OK, text)
