"""A one-line progress display for orphan scans, on a terminal only.

Scans of large tables take minutes; a person at a terminal wants to see that something moves,
and what. The line shows foreign keys done out of total, the estimated rows covered so far and
the foreign keys being scanned now, grouped by table so that a table scanned for two keys at
once is named once (`scanning shop.stock: fk_a, fk_b`).

It is redrawn in place: a carriage return, the text, then "erase to the end of the line". The
text is cut to one column less than the terminal's width, read again at each redraw: a line
that filled the last column would wrap on many terminals, and the next carriage return would
go back to the start of the wrapped part only, leaving the rest behind as a stale line. When
stderr is not a terminal (CI logs, pipes) the CLI does not create it, so logs stay clean.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.escape import printable
from fkaudit.orphans.scan import ScanResult
from fkaudit.terminal import can_erase_line, display_width, fit, width

ERASE_TO_END = "\x1b[K"
CUT = "..."  # marks a line cut to the width
MIN_INTERVAL = 0.05  # seconds between redraws: thousands of small scans need not mean as many


class StatusLine:
    """One line of a terminal, rewritten in place; never wider than the terminal.

    `columns` gives the terminal's width now (by default `fkaudit.terminal.width` of the
    stream: `COLUMNS`, else the terminal's own size).
    """

    def __init__(self, stream: TextIO, columns: Callable[[], int] | None = None) -> None:
        self.stream = stream
        self.columns = columns or (lambda: width(stream))
        self.shown = 0  # characters on the line now
        self.erase = can_erase_line()

    def show(self, text: str) -> None:
        """Replace the line with `text`, cut to fit."""
        room = max(self.columns() - 1, 1)
        text = fit(text, room, CUT)
        used = display_width(text)
        if self.erase:
            self.stream.write(f"\r{text}{ERASE_TO_END}")
        else:  # TERM=dumb: blank what the old text covered beyond the new one
            self.stream.write("\r" + text + " " * (min(self.shown, room) - used))
        self.stream.flush()
        self.shown = used

    def clear(self) -> None:
        """Erase the line, so what is written next starts on a clean one."""
        if not self.shown:
            return
        if self.erase:
            self.stream.write(f"\r{ERASE_TO_END}")
        else:
            self.stream.write("\r" + " " * self.shown + "\r")
        self.stream.flush()
        self.shown = 0


class ScanProgress:
    """The orphan scans' progress on a `StatusLine`; told of each scan by the scanner's
    threads (`fkaudit.orphans.scan.ScanListener`)."""

    def __init__(
        self,
        catalog: Catalog,
        fks: list[ForeignKey],
        stream: TextIO,
        *,
        columns: Callable[[], int] | None = None,
        interval: float = MIN_INTERVAL,
    ) -> None:
        self.catalog = catalog
        self.line = StatusLine(stream, columns)
        self.interval = interval
        self.total = len(fks)
        self.total_rows = sum(self._rows(fk) for fk in fks)
        self.done = self.rows_done = 0
        # Scans running now, by foreign key: (table shown, key shown).
        self.running: dict[ForeignKey, tuple[str, str]] = {}
        self.lock = threading.Lock()
        self.drawn_at = float("-inf")

    def _rows(self, fk: ForeignKey) -> int:
        return self.catalog.estimated_rows(fk.table_oid) or 0

    def started(self, fk: ForeignKey) -> None:
        table = printable(self.catalog.table(fk.table_oid).qualified_name)
        with self.lock:
            self.running[fk] = (table, printable(fk.name))
            self._draw()

    def finished(self, result: ScanResult) -> None:
        with self.lock:
            self.running.pop(result.fk, None)
            self.done += 1
            self.rows_done += self._rows(result.fk)
            self._draw()

    def close(self) -> None:
        """Erase the line, so the report that follows starts on a clean one."""
        with self.lock:
            self.line.clear()

    def text(self) -> str:
        """What the line says now (uncut)."""
        return (
            f"orphan scans: {self.done}/{self.total} foreign keys, "
            f"~{self.rows_done:,}/{self.total_rows:,} rows; scanning {self.scanning()}"
        )

    def scanning(self) -> str:
        """The keys being scanned, grouped by table: `t1: fk_a, fk_b; t2: fk_c` (or `-`)."""
        by_table: dict[str, list[str]] = {}
        for table, key in self.running.values():
            by_table.setdefault(table, []).append(key)
        return "; ".join(f"{t}: {', '.join(sorted(k))}" for t, k in sorted(by_table.items())) or "-"

    def _draw(self) -> None:
        """Redraw, unless the line was drawn less than `interval` ago; the last scan's end
        is always shown."""
        now = time.monotonic()
        if now - self.drawn_at < self.interval and self.done < self.total:
            return
        self.drawn_at = now
        self.line.show(self.text())
