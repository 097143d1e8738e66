"""Phrases shared by rule messages, so every rule words the same facts the same way."""

from __future__ import annotations

from fkaudit.catalog.coverage import FkCoverage
from fkaudit.catalog.model import Catalog, ForeignKey, Table


def fk_columns(catalog: Catalog, fk: ForeignKey) -> list[str]:
    """The referencing column names, in key order."""
    child = catalog.table(fk.table_oid)
    return [child.column(n).name for n in fk.attnums]


def nullable_columns(catalog: Catalog, fk: ForeignKey) -> list[str]:
    """The referencing columns that may be NULL, in key order."""
    child = catalog.table(fk.table_oid)
    return [child.column(n).name for n in fk.attnums if not child.column(n).not_null]


def describe_rows(rows: int | None) -> str:
    if rows is None:
        return "the child table (never analyzed: size unknown)"
    return f"the child table (~{rows:,} rows)"


def leaves_phrase(child: Table, verdict: FkCoverage) -> str:
    """For a partitioned child, which leaf partitions lack the index."""
    if not child.is_partitioned or verdict.per_table[0].table is child:
        return ""
    names = ", ".join(t.table.qualified_name for t in verdict.weakest)
    return f" (partitions without a usable index: {names})"
