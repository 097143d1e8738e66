"""Can the RI lookup on the referencing table use an index? The verdict table of docs/design.md §3.

When a parent row is deleted or its key updated, PostgreSQL runs, per foreign key,
`SELECT 1 FROM [ONLY] child x WHERE $1 = col1 AND $2 = col2 … FOR KEY SHARE OF x` using the
constraint's `conpfeqop` operators. An index helps exactly when the planner can turn those
equalities into index search conditions:

- the index is valid, ready and live (not a failed CREATE INDEX CONCURRENTLY);
- its key column has the column's collation (an index on `code COLLATE "C"` does not help);
- its predicate, if any, is implied by the lookup (only `col IS NOT NULL` terms on FK columns);
- the FK's operator belongs to the operator family of the index column and compares the column
  as its own type (an int child referencing a numeric parent is compared as numeric, which
  casts the child column: no int index helps);
- for btree, the FK columns are the *leading* key columns, in any order; INCLUDE columns never
  count; a hash index has one column; GIN and GiST indexes search any of their key columns;
- other access methods (BRIN, SP-GiST, bloom…) are not counted.

A partitioned child is covered by a valid index on the partitioned table, or else leaf by leaf.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from fkaudit.catalog.model import Catalog, ForeignKey, Index, Table

_PREFIX_METHODS = frozenset({"btree"})
_ANY_COLUMN_METHODS = frozenset({"gin", "gist"})
_SINGLE_COLUMN_METHODS = frozenset({"hash"})


class Coverage(enum.IntEnum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


@dataclass(frozen=True)
class TableCoverage:
    """How one physical table's best index serves the FK lookup."""

    table: Table
    coverage: Coverage
    index: Index | None  # the best index, when it covers anything
    searched_attnums: tuple[int, ...]
    blocked_by_operator: bool  # an index would cover more if the types did not force a cast


@dataclass(frozen=True)
class FkCoverage:
    """The verdict for a foreign key; for a partitioned child, the worst over its leaves."""

    coverage: Coverage
    per_table: tuple[TableCoverage, ...]

    @property
    def weakest(self) -> tuple[TableCoverage, ...]:
        """The tables (leaves) that are not fully covered."""
        return tuple(t for t in self.per_table if t.coverage is not Coverage.FULL)

    @property
    def blocked_by_operator(self) -> bool:
        return any(t.blocked_by_operator for t in self.weakest)


def _scan(text: str) -> Iterator[tuple[int, int]]:
    """(position, parenthesis depth) of each character outside quoted names and strings.

    A doubled quote inside a name or string closes and reopens it, so toggling is exact.
    """
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, depth


def _split_conjunction(predicate: str) -> list[str]:
    """Top-level AND terms of a deparsed predicate, redundant outer parentheses removed."""
    text = predicate.strip()
    while text.startswith("(") and all(depth > 0 for i, depth in _scan(text) if i < len(text) - 1):
        text = text[1:-1].strip()
    cuts = [i for i, depth in _scan(text) if depth == 0 and text.startswith(" AND ", i)]
    bounds = zip([-5, *cuts], [*cuts, len(text)], strict=True)
    return [text[start + 5 : end].strip() for start, end in bounds]


def predicate_implied(predicate: str | None, table: Table, attnums: Sequence[int]) -> bool:
    """True when the lookup's strict equalities imply the index predicate.

    `col = $1` implies `col IS NOT NULL`, so a predicate made only of such terms on FK columns
    is implied (the planner proves the same); anything else (`deleted_at IS NULL`) is not.
    """
    if predicate is None:
        return True
    allowed = {f"({table.column(n).quoted_name} IS NOT NULL)" for n in attnums} | {
        f"{table.column(n).quoted_name} IS NOT NULL" for n in attnums
    }
    return all(term in allowed for term in _split_conjunction(predicate))


def _searched_columns(
    index: Index,
    fk: ForeignKey,
    table: Table,
    attnums: Sequence[int],
    catalog: Catalog,
    check_operator: bool,
) -> tuple[int, ...]:
    """FK columns (child attnums) that become search conditions in this index."""
    operator_of = dict(zip(attnums, fk.pf_eq_operators, strict=True))

    def searchable(position: int) -> bool:
        attnum = index.key_attnums[position]
        if attnum not in operator_of:
            return False
        # The lookup compares with the column's collation; an index built with another one
        # (`(code COLLATE "C")`) cannot answer it.
        if index.key_collations[position] not in (0, table.column(attnum).collation_oid):
            return False
        if not check_operator:
            return True
        operator = operator_of[attnum]
        return catalog.is_search_operator(
            index.key_opfamilies[position], operator
        ) and not catalog.casts_column(table.column(attnum).type_oid, operator)

    method = index.access_method
    positions = range(len(index.key_attnums))
    if method in _PREFIX_METHODS:
        searched: list[int] = []
        for position in positions:
            if not searchable(position) or index.key_attnums[position] in searched:
                break
            searched.append(index.key_attnums[position])
        return tuple(searched)
    if method in _ANY_COLUMN_METHODS:
        return tuple(dict.fromkeys(index.key_attnums[p] for p in positions if searchable(p)))
    if method in _SINGLE_COLUMN_METHODS and len(index.key_attnums) == 1 and searchable(0):
        return (index.key_attnums[0],)
    return ()


def _grade(searched: Sequence[int], attnums: Sequence[int]) -> Coverage:
    if not searched:
        return Coverage.NONE
    return Coverage.FULL if set(searched) >= set(attnums) else Coverage.PARTIAL


def table_coverage(
    catalog: Catalog, table: Table, fk: ForeignKey, attnums: Sequence[int]
) -> TableCoverage:
    """The best index of one table for the lookup on `attnums` (the table's column numbers)."""
    best = TableCoverage(table, Coverage.NONE, None, (), False)
    best_ignoring_operators = Coverage.NONE
    wanted = set(attnums)
    for index in catalog.table_indexes(table.oid):
        if wanted.isdisjoint(index.key_attnums):  # most indexes (the primary key) end here
            continue
        if not index.is_usable or not predicate_implied(index.predicate, table, attnums):
            continue
        searched = _searched_columns(index, fk, table, attnums, catalog, check_operator=True)
        grade = _grade(searched, attnums)
        if grade > best.coverage or (grade == best.coverage and best.index is None and searched):
            best = TableCoverage(table, grade, index, searched, False)
        if grade is not Coverage.FULL:  # would the index serve if the types matched?
            structural = _grade(
                _searched_columns(index, fk, table, attnums, catalog, check_operator=False),
                attnums,
            )
            best_ignoring_operators = max(best_ignoring_operators, structural)
    if best_ignoring_operators > best.coverage:
        best = TableCoverage(table, best.coverage, best.index, best.searched_attnums, True)
    return best


def _attnums_in(parent: Table, leaf: Table, attnums: Sequence[int]) -> list[int]:
    """Map column numbers of a partitioned table to a partition (dropped columns shift them)."""
    names = [parent.column(n).name for n in attnums]
    by_name = {c.name: c.attnum for c in leaf.columns}
    return [by_name[name] for name in names]


_verdicts: WeakKeyDictionary[Catalog, dict[int, FkCoverage]] = WeakKeyDictionary()


def fk_coverage(catalog: Catalog, fk: ForeignKey) -> FkCoverage:
    """Verdict for `fk`, computed once per catalog: FK101 and FK102 both ask for it."""
    per_catalog = _verdicts.setdefault(catalog, {})
    verdict = per_catalog.get(fk.oid)
    if verdict is None:
        verdict = per_catalog[fk.oid] = _fk_coverage(catalog, fk)
    return verdict


def _fk_coverage(catalog: Catalog, fk: ForeignKey) -> FkCoverage:
    """Verdict for `fk`: its own table, or for a partitioned child each leaf partition."""
    child = catalog.table(fk.table_oid)
    own = table_coverage(catalog, child, fk, fk.attnums)
    if not child.is_partitioned or own.coverage is Coverage.FULL:
        return FkCoverage(own.coverage, (own,))
    leaves = tuple(
        table_coverage(catalog, leaf, fk, _attnums_in(child, leaf, fk.attnums))
        for leaf in catalog.leaf_partitions(child.oid)
    )
    if not leaves:
        return FkCoverage(own.coverage, (own,))
    return FkCoverage(min(t.coverage for t in leaves), leaves)
