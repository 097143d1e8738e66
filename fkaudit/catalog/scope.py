"""Which tables an audit looks at: `--schema`, `--exclude-schema`, `--table`, `--exclude-table`.

Patterns are shell globs (`*`, `?`, `[...]`), matched case-sensitively as PostgreSQL names are.
A table pattern containing a dot matches `schema.table`, otherwise the bare table name.
Filtering selects the *referencing* tables whose foreign keys are inspected; referenced tables
outside the scope are still read, because a rule about a foreign key needs its parent's columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase


def _matches_any(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def _table_matches_any(schema: str, table: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatchcase(f"{schema}.{table}" if "." in pattern else table, pattern)
        for pattern in patterns
    )


@dataclass(frozen=True)
class Scope:
    """Include/exclude globs; empty include lists mean "everything"."""

    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()

    def includes(self, schema: str, table: str) -> bool:
        if not (self.schemas or self.exclude_schemas or self.tables or self.exclude_tables):
            return True  # no filter: the common case, asked once per table
        if self.schemas and not _matches_any(schema, self.schemas):
            return False
        if _matches_any(schema, self.exclude_schemas):
            return False
        if self.tables and not _table_matches_any(schema, table, self.tables):
            return False
        return not _table_matches_any(schema, table, self.exclude_tables)
