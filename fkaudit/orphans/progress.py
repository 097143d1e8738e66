"""A one-line progress display for orphan scans, on a terminal only.

Scans of large tables take minutes; a person at a terminal wants to see that something moves.
The line shows foreign keys done out of total, the tables being scanned now and the estimated
rows covered so far, and is rewritten in place (carriage return). When stderr is not a terminal
(CI logs, pipes) the CLI does not create it, so machine output stays clean.
"""

from __future__ import annotations

import threading
from typing import TextIO

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.orphans.scan import ScanResult


class ScanProgress:
    def __init__(self, catalog: Catalog, fks: list[ForeignKey], stream: TextIO):
        self.catalog, self.stream = catalog, stream
        self.total = len(fks)
        self.total_rows = sum(self._rows(fk) for fk in fks)
        self.done = self.rows_done = 0
        self.running: dict[int, str] = {}
        self.lock = threading.Lock()
        self.width = 0

    def _rows(self, fk: ForeignKey) -> int:
        return self.catalog.estimated_rows(fk.table_oid) or 0

    def started(self, fk: ForeignKey) -> None:
        with self.lock:
            self.running[fk.oid] = self.catalog.table(fk.table_oid).qualified_name
            self._draw()

    def finished(self, result: ScanResult) -> None:
        with self.lock:
            self.running.pop(result.fk.oid, None)
            self.done += 1
            self.rows_done += self._rows(result.fk)
            self._draw()

    def close(self) -> None:
        """Erase the line, so the report that follows starts on a clean one."""
        with self.lock:
            if self.width:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()

    def _draw(self) -> None:
        tables = ", ".join(sorted(self.running.values())) or "-"
        line = (
            f"orphan scans: {self.done}/{self.total} foreign keys, "
            f"~{self.rows_done:,}/{self.total_rows:,} rows; scanning {tables}"
        )[:200]
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(line))
