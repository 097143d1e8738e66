"""Can the RI lookup on the referencing table use an index? The verdict table of docs/design.md §3.

When a parent row is deleted or its key updated, PostgreSQL runs, per foreign key,
`SELECT 1 FROM [ONLY] child x WHERE $1 OPERATOR(=) col1 [COLLATE c] AND ... FOR KEY SHARE OF x`
with the constraint's `conpfeqop` operators and `$n` typed as the referenced columns' types. An
index helps exactly when the planner can turn those equalities into index search conditions
(each rule below was observed in the RI statement's own plans on PostgreSQL 12 to 18):

- the index is valid, ready and live (not a failed CREATE INDEX CONCURRENTLY);
- its key column has the collation the comparison runs in (`comparison_collation`), which is
  not always the column's own: a referenced domain declared `COLLATE "C"` makes it "C", and on
  12-17 a nondeterministic referenced collation is added to the query as `COLLATE`;
- its predicate, if any, is proven by the lookup: true whenever the FK columns are non-NULL
  (`col IS NOT NULL`, `NOT (col IS NULL)`, `ROW(a, b) IS NOT NULL`, an OR with such an arm);
- the FK's operator belongs to the operator family of the index column and compares the column
  as its own type (an int child referencing a numeric parent is compared as numeric, which
  casts the child column: no int index helps);
- for btree, the FK columns are the *leading* key columns, in any order; a column repeated
  inside that prefix (`(a, a, b)`) ends it on 12-17, where the planner gives a condition to
  the first occurrence only, and not on 18, whose skip scan steps over it; INCLUDE columns never
  count; hash and SP-GiST indexes have one column; GIN, GiST and other methods search any key
  column;
- BRIN and bloom indexes are read whole for each lookup (lossy summaries): they never count,
  and FK101 names them.

A partitioned child is covered by a valid index on the partitioned table, or else leaf by leaf;
a LIST partition of one value holds its key column at that value, so the lookup routed to it
needs an index on the other FK columns only.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary

from fkaudit.catalog.model import Action, Catalog, ForeignKey, Index, Table

if TYPE_CHECKING:
    from fkaudit.catalog.nodetree import Formula

_PREFIX_METHODS = frozenset({"btree"})
_SINGLE_COLUMN_METHODS = frozenset({"hash", "spgist"})
# Lossy methods whose every lookup reads the whole index; other methods search any key column.
WHOLE_INDEX_METHODS = frozenset({"brin", "bloom"})
_DEFAULT_COLLATION = 100  # pg_collation OID of "default"


class Coverage(enum.IntEnum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


class TableCoverage(NamedTuple):
    """How one physical table's best index serves the FK lookup.

    Named tuples, not dataclasses: a verdict is kept for every foreign key (FK101 and FK102
    both read it), and at 100,000 keys a dataclass each cost 25 MB and a second to build.
    """

    table: Table
    coverage: Coverage
    best_index: Index | None  # the best index, when it covers anything
    searched_attnums: tuple[int, ...]
    blocked_by_operator: bool  # an index would cover more if the types did not force a cast
    # Indexes that would serve but are read whole on every lookup (BRIN, bloom).
    whole_index_reads: tuple[Index, ...] = ()


class FkCoverage(NamedTuple):
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

    @property
    def whole_index_reads(self) -> tuple[Index, ...]:
        """The BRIN and bloom indexes that would serve the tables not fully covered."""
        return tuple(i for t in self.weakest for i in t.whole_index_reads)


def comparison_collation(catalog: Catalog, fk: ForeignKey, position: int) -> int | None:
    """The collation the RI lookup compares FK column `position` in; None when PostgreSQL cannot
    decide one, and every delete or key update of a referenced row fails (42P22).

    PostgreSQL 12-17 append `COLLATE <referenced column's collation>` when the two columns'
    collations differ and the referenced one is nondeterministic (18 refuses such keys); for
    ON DELETE SET NULL/SET DEFAULT, 12-14 put it on the value set, not in the comparison. (The
    delete's lookup is judged; ON UPDATE CASCADE's, which never has it, may want another.)
    Otherwise the child column's collation meets the parameter's, which is the collation of the
    referenced column's *type* (a domain's own, else the database default): equal ones, or the
    default with another, give the other; two different non-default ones give none.
    """
    own = catalog.tables[fk.table_oid].column(fk.attnums[position]).collation_oid
    if not own:
        return 0  # not collatable
    parent = catalog.tables[fk.ref_table_oid].column(fk.ref_attnums[position])
    referenced = parent.collation_oid
    collation = catalog.collations.get(referenced)
    nondeterministic = collation is not None and not collation.deterministic
    version = catalog.server_version_num
    # 12-14 put that COLLATE on the SET NULL/SET DEFAULT value, not in the WHERE clause.
    in_where = version >= 150000 or fk.on_delete not in (Action.SET_NULL, Action.SET_DEFAULT)
    if version < 180000 and referenced != own and nondeterministic and in_where:
        return referenced
    type_info = catalog.type_info.get(parent.type_oid)
    parameter = type_info.collation_oid if type_info else _DEFAULT_COLLATION
    if parameter in (0, _DEFAULT_COLLATION, own):
        return own
    return parameter if own == _DEFAULT_COLLATION else None


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
    position_of = {attnum: n for n, attnum in enumerate(attnums)}

    def searched_column(position: int) -> int | None:
        """The FK column this index column searches, if any: the column itself, or the cast
        `column::type` the lookup compares a mismatched column as."""
        attnum, cast = index.key_attnums[position], index.key_casts[position]
        if attnum == 0 and cast is not None:
            attnum = cast[0]
        if attnum not in operator_of:
            return None
        # The index column must have the comparison's collation (an index on
        # `code COLLATE "C"` cannot answer a lookup in the column's own collation).
        if index.key_collations[position] not in (
            0,
            comparison_collation(catalog, fk, position_of[attnum]),
        ):
            return None
        operator = operator_of[attnum]
        casts = catalog.casts_column(table.column(attnum).type_oid, operator)
        if cast is not None:  # serves only the lookup that casts to exactly that type
            compared_as = catalog.operators.get(operator)
            if not casts or compared_as is None or compared_as.right_type_oid != cast[1]:
                return None
        elif check_operator and casts:
            return None
        if check_operator and not catalog.is_search_operator(
            index.key_opfamilies[position], operator
        ):
            return None
        return attnum

    method = index.access_method
    positions = range(len(index.key_attnums))
    if method in _PREFIX_METHODS:
        # 12-17 give each condition to the first index column it matches only: a repeated
        # column has none and ends the searched prefix; 18's skip scan steps over it.
        steps_over_repeats = catalog.server_version_num >= 180000
        searched: list[int] = []
        for position in positions:
            attnum = searched_column(position)
            if attnum in searched and steps_over_repeats:
                continue
            if attnum is None or attnum in searched:
                break
            searched.append(attnum)
        return tuple(searched)
    if method in _SINGLE_COLUMN_METHODS:
        only = searched_column(0) if len(index.key_attnums) == 1 else None
        return () if only is None else (only,)
    found = (searched_column(p) for p in positions)
    return tuple(dict.fromkeys(a for a in found if a is not None))


def _grade(searched: Sequence[int], attnums: Sequence[int]) -> Coverage:
    if not searched:
        return Coverage.NONE
    return Coverage.FULL if set(searched) >= set(attnums) else Coverage.PARTIAL


def table_coverage(
    catalog: Catalog,
    table: Table,
    fk: ForeignKey,
    attnums: Sequence[int],
    pinned: frozenset[int] = frozenset(),
) -> TableCoverage:
    """The best index of one table for the lookup on `attnums` (the table's column numbers).

    `pinned` columns hold one value in the whole table (a LIST partition of one value): the
    lookup needs no index on them, only on the others.
    """
    best = TableCoverage(table, Coverage.NONE, None, (), False)
    best_ignoring_operators = Coverage.NONE
    whole_index_reads: list[Index] = []
    wanted = set(attnums) - pinned
    if not wanted:  # every FK column is pinned: each row of the table matches the lookup
        return TableCoverage(table, Coverage.FULL, None, (), False)
    for index in catalog.table_indexes(table.oid):
        if wanted.isdisjoint(index.key_attnums) and not any(index.key_casts):
            continue  # most indexes (the primary key) end here
        if not index.is_usable or not (
            index.predicate is None or _implied_by_non_null(index.predicate_formula, attnums)
        ):
            continue
        searched = _searched_columns(index, fk, table, attnums, catalog, check_operator=True)
        if searched and index.access_method in WHOLE_INDEX_METHODS:
            whole_index_reads.append(index)
            continue
        grade = _grade([*searched, *pinned], attnums) if searched else Coverage.NONE
        first = grade == best.coverage and best.best_index is None and searched
        if grade > best.coverage or first:
            best = TableCoverage(table, grade, index, searched, False)
        if grade is not Coverage.FULL:  # would the index serve if the types matched?
            ignoring = _searched_columns(index, fk, table, attnums, catalog, check_operator=False)
            structural = _grade([*ignoring, *pinned], attnums) if ignoring else Coverage.NONE
            best_ignoring_operators = max(best_ignoring_operators, structural)
    blocked = best_ignoring_operators > best.coverage
    return TableCoverage(
        table,
        best.coverage,
        best.best_index,
        best.searched_attnums,
        blocked,
        tuple(whole_index_reads),
    )


def _implied_by_non_null(predicate: Formula, attnums: Sequence[int]) -> bool:
    """`nodetree.implied_by_non_null`, imported when a partial index is judged: the rules
    import this module, and listing them (`fkaudit rules`) need not load the parser."""
    from fkaudit.catalog.nodetree import implied_by_non_null

    return implied_by_non_null(predicate, attnums)


def _attnums_in(parent: Table, leaf: Table, attnums: Sequence[int]) -> list[int]:
    """Map column numbers of a partitioned table to a partition (dropped columns shift them)."""
    names = [parent.column(n).name for n in attnums]
    by_name = {c.name: c.attnum for c in leaf.columns}
    return [by_name[name] for name in names]


class _Verdicts:
    """What one catalog's verdicts left to remember: every key's grade, and the verdicts of the
    partly covered keys (FK102 words those). FK101 words the uncovered ones as it judges them
    and never asks twice; keeping every verdict cost 25 MB at 100,000 keys."""

    __slots__ = ("grades", "partial")

    def __init__(self) -> None:
        self.grades: dict[int, Coverage] = {}
        self.partial: dict[int, FkCoverage] = {}


_verdicts: WeakKeyDictionary[Catalog, _Verdicts] = WeakKeyDictionary()


def fk_coverage(catalog: Catalog, fk: ForeignKey) -> FkCoverage:
    """Verdict for `fk`; a partial one is computed once per catalog (FK101 and FK102 ask)."""
    known = _verdicts.get(catalog)
    if known is None:
        known = _verdicts[catalog] = _Verdicts()
    verdict = known.partial.get(fk.oid)
    if verdict is None:
        verdict = _fk_coverage(catalog, fk)
        known.grades[fk.oid] = verdict.coverage
        if verdict.coverage is Coverage.PARTIAL:
            known.partial[fk.oid] = verdict
    return verdict


def coverage_grade(catalog: Catalog, fk: ForeignKey) -> Coverage:
    """`fk_coverage(catalog, fk).coverage`, remembered for every key of the catalog."""
    known = _verdicts.get(catalog)
    grade = known.grades.get(fk.oid) if known is not None else None
    return grade if grade is not None else fk_coverage(catalog, fk).coverage


def _fk_coverage(catalog: Catalog, fk: ForeignKey) -> FkCoverage:
    """Verdict for `fk`: its own table, or for a partitioned child each leaf partition."""
    child = catalog.table(fk.table_oid)
    own = table_coverage(catalog, child, fk, fk.attnums)
    if not child.is_partitioned or own.coverage is Coverage.FULL:
        return FkCoverage(own.coverage, (own,))
    leaves = tuple(
        table_coverage(
            catalog,
            leaf,
            fk,
            _attnums_in(child, leaf, fk.attnums),
            _pinned(catalog, leaf, fk),
        )
        for leaf in catalog.leaf_partitions(child.oid)
    )
    if not leaves:
        return FkCoverage(own.coverage, (own,))
    return FkCoverage(min(t.coverage for t in leaves), leaves)


def _pinned(catalog: Catalog, leaf: Table, fk: ForeignKey) -> frozenset[int]:
    """The leaf's FK columns held at one value by its own or an ancestor's LIST bound.

    The lookup routed to such a leaf (pruned at executor start-up, as the generic plan of
    every major does) compares those columns with a value every row has.
    """
    names = {catalog.table(fk.table_oid).column(n).name for n in fk.attnums}
    leaf_attnum = {c.name: c.attnum for c in leaf.columns}
    pinned: set[int] = set()
    table = leaf
    while table.partition_parent_oid is not None:
        parent = catalog.tables.get(table.partition_parent_oid)
        if parent is None:
            break
        key = parent.partition_key_attnums
        if table.holds_one_list_value and parent.partition_strategy == "l" and len(key) == 1:
            column = parent.find_column(key[0])
            if column is not None and column.name in names and column.name in leaf_attnum:
                pinned.add(leaf_attnum[column.name])
        table = parent
    return frozenset(pinned)
