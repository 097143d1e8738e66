"""Phrases shared by rule messages, so every rule words the same facts the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from fkaudit.catalog.coverage import FkCoverage
from fkaudit.catalog.model import Catalog, Column, ForeignKey, NullCheck, Table
from fkaudit.findings import Finding
from fkaudit.fixsql import make_not_null

if TYPE_CHECKING:
    from fkaudit.rules import ForeignKeyRule


def fk_columns(catalog: Catalog, fk: ForeignKey) -> list[str]:
    """The referencing column names, in key order."""
    child = catalog.table(fk.table_oid)
    return [child.column(n).name for n in fk.attnums]


def nullable_columns(catalog: Catalog, fk: ForeignKey) -> list[Column]:
    """The referencing columns that may hold NULL, in key order (a NOT VALID guard may not
    have stopped older rows)."""
    child = catalog.table(fk.table_oid)
    return [c for n in fk.attnums if not (c := child.column(n)).not_null]


def nullable_phrase(columns: Sequence[Column]) -> str:
    """`a, b (CHECK constraint b_nn is NOT VALID)`: names, and why a guard does not count."""
    parts = []
    for column in columns:
        guards = column.unvalidated_guards
        pending = ", ".join(f"{g.kind} constraint {g.constraint}" for g in guards)
        parts.append(f"{column.name} ({pending} is NOT VALID)" if pending else column.name)
    return ", ".join(parts)


def guarded_phrase(columns: Sequence[Column]) -> str:
    """`a, b (by CHECK constraint b_nn)`: columns rejecting NULL, and what rejects it."""
    return ", ".join(
        f"{c.name} (by {reason})" if (reason := c.null_guard_reason()) else c.name for c in columns
    )


class NullRejection(NamedTuple):
    """Why writing NULL into some columns at once fails (FK301, FK302)."""

    single: list[Column]  # columns rejecting NULL on their own: NOT NULL or a CHECK on them
    joint: list[NullCheck]  # other CHECKs rejecting these columns all NULL together
    written: list[Column]  # the columns written NULL

    @property
    def columns(self) -> list[str]:
        return [c.name for c in (self.written if self.joint else self.single)]

    @property
    def declared_only(self) -> bool:
        return not self.joint and all(c.declared_not_null for c in self.single)

    @property
    def constraints(self) -> dict[str, list[str]]:
        """The CHECK (and NOT VALID NOT NULL) constraints involved, by column, for details."""
        found = {c.name: [g.constraint for g in c.guards] for c in self.single if c.guards}
        for check in self.joint:
            for column in self.written:
                found.setdefault(column.name, []).append(check.constraint)
        return found

    def phrase(self) -> str:
        """`NOT NULL column(s) a (by CHECK constraint x)`, and the CHECKs on all of them."""
        parts = [f"NOT NULL column(s) {guarded_phrase(self.single)}"] if self.single else []
        if self.joint:
            checks = ", ".join(check.describe() for check in self.joint)
            names = ", ".join(c.name for c in self.written)
            verb = "forbids" if len(self.joint) == 1 else "forbid"
            parts.append(f"{names}, which {checks} {verb} to be all NULL")
        return " and on ".join(parts)


def null_rejection(table: Table, attnums: Sequence[int]) -> NullRejection | None:
    """Does writing NULL into all these columns of the table fail, and why (None: it works)?"""
    written = [table.column(n) for n in attnums]
    single = [c for c in written if c.rejects_null]
    joint = [
        check
        for check in table.checks_rejecting_nulls(attnums)
        if not any(check in c.guards for c in written)
    ]
    return NullRejection(single, joint, written) if single or joint else None


def not_null_suggestion(child: Table, columns: Sequence[Column]) -> str:
    """NOT NULL for the columns: VALIDATE their NOT VALID guards, SET NOT NULL the rest."""
    validate = dict.fromkeys(g.constraint for c in columns for g in c.unvalidated_guards)
    plain = [c.name for c in columns if not c.unvalidated_guards]
    return make_not_null(child, list(validate), plain)


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


def nullable_columns_finding(
    rule: ForeignKeyRule, catalog: Catalog, fk: ForeignKey, message: Callable[[str], str]
) -> Iterator[Finding]:
    """A finding of `rule` about the FK columns that may be NULL, if any: `message` gets
    their phrase (`nullable_phrase`), the suggestion makes them NOT NULL."""
    nullable = nullable_columns(catalog, fk)
    if not nullable:
        return
    yield rule.finding_for(
        catalog,
        fk,
        message(nullable_phrase(nullable)),
        columns=[c.name for c in nullable],
        suggestion=not_null_suggestion(catalog.table(fk.table_oid), nullable),
    )
