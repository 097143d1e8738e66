"""Find where a finding's object is defined in SQL files, for SARIF, annotations and JSON.

An annotation on the line that creates the constraint is worth much more than one on line 1,
and one on a `-- Name:` comment or on a `--clean` dump's `DROP CONSTRAINT IF EXISTS` is worse
than none. `fkaudit.sqlsource` reads which statements define which tables and foreign keys;
replaying its events in the order the files were applied leaves, for each object, the
statement that defines it at the end (a key dropped and added again is at its last ADD; a
renamed key at the statement that made it). A finding then points at, in this order:

1. the definition of its constraint (`ADD CONSTRAINT name`, `CONSTRAINT name FOREIGN KEY`,
   `CONSTRAINT name REFERENCES`) on its table;
2. for a name PostgreSQL generated, which no file spells out, the unnamed key with the same
   referencing columns (`col int REFERENCES p`, `ADD FOREIGN KEY (a, b)`);
3. the definition of its first column (FK502's implied keys have no constraint);
4. the `CREATE TABLE` of its table.

A name the file leaves unqualified matches the table in any schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fkaudit.findings import Finding
from fkaudit.reporters import SourceLine
from fkaudit.sqlsource import Event, display_path, read_sources

__all__ = ["SourceIndex", "display_path", "locate_all"]


@dataclass
class _Table:
    """What the files define of one table, as (schema or None, name) names it."""

    created: SourceLine | None = None
    keys: dict[str, SourceLine] = field(default_factory=dict)
    unnamed: dict[tuple[str, ...], SourceLine] = field(default_factory=dict)
    columns: dict[str, SourceLine] = field(default_factory=dict)


class SourceIndex:
    """The definitions standing after every file was applied, by table."""

    def __init__(self, files: Sequence[Path]) -> None:
        self.tables: dict[tuple[str | None, str], _Table] = {}
        shown: dict[Path, str] = {}
        for event in read_sources(files).events:
            if event.path not in shown:
                shown[event.path] = display_path(event.path)
            self._apply(event, SourceLine(shown[event.path], event.line))

    def _apply(self, event: Event, where: SourceLine) -> None:
        target = event.target
        key = (target.schema, target.table)
        if event.kind == "drop-table":
            self.tables.pop(key, None)
            return
        if event.kind == "rename-table":
            moved = self.tables.pop(key, None)
            if moved is not None and event.new_name is not None:
                self.tables[(target.schema, event.new_name)] = moved
            return
        table = self.tables.setdefault(key, _Table())
        if event.kind == "table":
            table.created = where
        elif event.kind == "key" and target.constraint is not None:
            table.keys[target.constraint] = where
        elif event.kind == "key":
            table.unnamed.setdefault(target.columns, where)
        elif event.kind == "column" and target.columns:
            table.columns.setdefault(target.columns[0], where)
        elif event.kind in ("drop-key", "rename-key") and target.constraint is not None:
            # Unqualified and qualified spellings of one table may both hold the key.
            for spelling in {key, (None, target.table)}:
                entry = self.tables.get(spelling)
                found = entry.keys.pop(target.constraint, None) if entry else None
                if found is not None and event.kind == "rename-key" and event.new_name:
                    table.keys[event.new_name] = found

    def locate(self, finding: Finding) -> SourceLine | None:
        """Where `finding`'s object is defined (see the module docstring), or None."""
        entries = [
            entry
            for key in ((finding.schema, finding.table), (None, finding.table))
            if (entry := self.tables.get(key)) is not None
        ]
        if not entries:
            return None
        if finding.constraint:
            for entry in entries:
                if finding.constraint in entry.keys:
                    return entry.keys[finding.constraint]
        if finding.columns:
            for entry in entries:
                if finding.columns in entry.unnamed:
                    return entry.unnamed[finding.columns]
            for entry in entries:
                if finding.columns[0] in entry.columns:
                    return entry.columns[finding.columns[0]]
        for entry in entries:
            if entry.created is not None:
                return entry.created
        return None


def locate_all(findings: Iterable[Finding], files: Sequence[Path]) -> dict[str, SourceLine]:
    """Fingerprint -> definition line, for the findings whose object the files define."""
    index = SourceIndex(files)
    found = {f.fingerprint: index.locate(f) for f in findings}
    return {key: where for key, where in found.items() if where is not None}
