"""No index on the referencing columns that the foreign-key check can search.

What it does
    For every foreign key, decides whether the lookup PostgreSQL's RI trigger runs on the
    referencing (child) table when a parent row is deleted or its key updated can use an index
    on all FK columns, as the planner plans that very query (generic plan). Counted: btree
    indexes whose leading key columns are the FK columns (any order, extra trailing columns
    allowed), primary keys and unique constraints, single-column hash and SP-GiST indexes,
    GiST and GIN indexes (btree_gist, btree_gin) on any key column, and partial indexes whose
    predicate the lookup proves: true whenever the FK columns are non-NULL (`col IS NOT NULL`,
    `NOT (col IS NULL)`, `ROW(a, b) IS NOT NULL`, an OR with such an arm); fkaudit decides
    this from the predicate's stored node tree, re-implementing the planner's proof for these
    forms (no query is sent; the test suite checks it against the planner). Not counted:
    expression indexes, invalid ones, other partial indexes (`WHERE deleted_at IS NULL`,
    `WHERE col > 0`), an index whose leading columns are not FK columns, and BRIN and bloom
    indexes, which the lookup can only read whole (the message names them). An index column
    must be in the collation the check compares in: the child column's own, unless the
    referenced column's type is a domain declared COLLATE (then that one), or on PostgreSQL
    12-17 the referenced column's collation is nondeterministic and differs (the RI query then
    adds it as COLLATE); the fix builds the index in that collation. A child column whose type
    forces a cast in the check (an int column referencing a numeric key) can use no index on
    the column, only one on that very cast (`((col)::numeric)`); the fix then is FK103's.
    A partitioned child is covered by a valid index on the partitioned table or by a usable
    index on every leaf partition; otherwise the leaves without one are named. A LIST
    partition of one value holds its partition column at that value: the lookup, pruned to
    that leaf, needs an index on the other FK columns only.

Why it matters
    Without such an index, every parent DELETE (and key UPDATE) sequentially scans the whole
    child table once per parent row, holding locks meanwhile: a one-row delete on a small parent
    turns into minutes on a large child, and ON DELETE CASCADE multiplies it.

How to fix
    Create a btree index on the FK columns, concurrently so writes are not blocked:
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS child_col1_col2_idx ON child (col1, col2);`
    (partitioned tables take the plain `CREATE INDEX`). When the column type forces a cast,
    align the child column's type with the parent's first (FK103); no index helps until then.

Options
    min_rows (default 0): below this many estimated rows in the child table the finding is
    demoted to info: a sequential scan of a small table is cheap. A child never analyzed
    (size unknown) is not demoted.

Example
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
    -- fires: nothing indexes orders(customer_id)
    CREATE INDEX CONCURRENTLY ON orders (customer_id);   -- fixed

Known limits
    Row counts are the planner's estimates (`reltuples`). When an index covers only some FK
    columns the finding is FK102, not this one. A temporal foreign key (PostgreSQL 18,
    `PERIOD`) is checked by range overlap: a GiST index on its columns and the period (btree_gist)
    serves it, a btree does not. Verdicts are those of the generic plan: under the default
    `plan_cache_mode` a partial index such as `WHERE col > 0` is still used by custom plans for
    keys that satisfy it, which fkaudit does not count. Of a predicate's constant
    sub-expressions only `=`/`<>` of integer, boolean and oid constants are folded (`WHERE
    1 = 1`), the planner folds more. A btree whose
    leading column is not an FK column can be used by PostgreSQL 18's skip scan when that
    column has few values; fkaudit does not count it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from fkaudit.catalog.coverage import Coverage, FkCoverage, comparison_collation, fk_coverage
from fkaudit.catalog.model import Catalog, ForeignKey, Table
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding, RecordDetails, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.index_names import fk_index_fix
from fkaudit.rules.wording import describe_rows, fk_columns, leaves_phrase


class UnindexedForeignKey(ForeignKeyRule):
    code = "FK101"
    name = "unindexed-foreign-key"
    default_severity = Severity.WARNING
    option_defaults: ClassVar[Mapping[str, Any]] = {"min_rows": 0}

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        super().__init__(severity, options)
        if self.options["min_rows"] < 0:
            raise FkauditError(f"min_rows must be 0 or more, got {self.options['min_rows']}")

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        verdict = fk_coverage(catalog, fk)
        if verdict.coverage is Coverage.NONE:
            yield self._finding(catalog, fk, verdict)

    def _finding(self, catalog: Catalog, fk: ForeignKey, verdict: FkCoverage) -> Finding:
        child = catalog.table(fk.table_oid)
        parent = catalog.table(fk.ref_table_oid)
        columns = fk_columns(catalog, fk)
        rows = catalog.estimated_rows(child.oid)
        message = (
            f"no index on {child.qualified_name} ({', '.join(columns)}) serves this "
            f"foreign key: each delete or key update of one row in {parent.qualified_name} "
            f"costs {_scans(child, verdict)} of {describe_rows(rows)}"
            f"{leaves_phrase(child, verdict)}"
        )
        if fk.is_period:
            message += "; a temporal key needs a GiST index on its columns and the period"
        if verdict.blocked_by_operator:
            message += (
                "; the child column type forces a cast in the check, so no index on it can be "
                "used until the types match the referenced columns (FK103)"
            )
        message += _collation_note(catalog, fk)
        lossy = verdict.whole_index_reads
        if lossy:
            names = ", ".join(f"{i.name} ({i.access_method})" for i in lossy)
            message += f"; {names} can only be read whole for each lookup"
        small = rows is not None and rows < self.options["min_rows"]
        return self.finding_for(
            catalog,
            fk,
            message,
            fix=fk_index_fix(catalog, fk, verdict),
            columns=columns,
            severity=Severity.INFO if small else None,
            details=UnindexedDetails(
                rows,
                [t.table.qualified_name for t in verdict.weakest] if child.is_partitioned else [],
                verdict.blocked_by_operator,
            ),
        )


class UnindexedDetails(RecordDetails):
    _fields = ("estimated_rows", "unindexed_partitions", "type_forces_cast")
    __slots__ = _fields

    def __init__(
        self, estimated_rows: int | None, unindexed_partitions: list[str], type_forces_cast: bool
    ) -> None:
        self.estimated_rows = estimated_rows
        self.unindexed_partitions = unindexed_partitions
        self.type_forces_cast = type_forces_cast


def _scans(child: Table, verdict: FkCoverage) -> str:
    """One sequential scan per table without a usable index (each leaf of a partitioned child)."""
    count = len(verdict.weakest) if child.is_partitioned else 1
    return "1 sequential scan" if count == 1 else f"{count} sequential scans"


def _collation_note(catalog: Catalog, fk: ForeignKey) -> str:
    """Why no index in a column's own collation serves: the check compares in another (FK103)."""
    child = catalog.table(fk.table_oid)
    for position, attnum in enumerate(fk.attnums):
        compared = comparison_collation(catalog, fk, position)
        column = child.column(attnum)
        if compared is None:
            return (
                f"; the check cannot choose a collation for {column.name}, so every delete or "
                "key update of a referenced row fails once the child has rows (FK103)"
            )
        if compared != column.collation_oid:
            return (
                f"; the check compares {column.name} in another collation than its own, so "
                "the index needs that COLLATE (FK103)"
            )
    return ""
