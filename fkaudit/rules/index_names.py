"""The index a fix creates for a foreign key, and its name.

Names follow PostgreSQL's own pattern, never collide, and fit 63 bytes.

`CREATE INDEX … IF NOT EXISTS name` skips silently when *any* relation has that name, so a
name that collided with a view or another index would leave the foreign key unindexed while the
migration reports success. Names are therefore checked against every relation in the schema
and against the names already handed out in this run, and a request for the same columns of the
same table gets the same name back (FK101 and FK102 may both ask).
"""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from fkaudit.catalog.coverage import FkCoverage, comparison_collation
from fkaudit.catalog.model import Catalog, ForeignKey, RelationNames, Table
from fkaudit.fixsql import create_index
from fkaudit.rules.names import make_object_name


class _Allocator:
    def __init__(self, catalog: Catalog):
        self.existing = catalog.relation_names
        self.handed_out = RelationNames()  # names given in this run (not the catalog's)
        self.given: dict[tuple[object, ...], str] = {}  # (table oid, *columns) -> name

    def name(self, table: Table, columns: Sequence[str]) -> str:
        key = (table.oid, *columns)
        name = self.given.get(key)
        if name is None:
            name = self.given[key] = self._fresh(table, columns)
        return name

    def _fresh(self, table: Table, columns: Sequence[str]) -> str:
        """ChooseRelationName: `<table>_<cols>_idx`, then `idx1`, `idx2` … on collision."""
        addition = "_".join(columns)
        label, n = "idx", 0
        while self._taken(table.schema, name := make_object_name(table.name, addition, label)):
            n += 1
            label = f"idx{n}"
        self.handed_out.add(table.schema, name)
        return name

    def _taken(self, schema: str, name: str) -> bool:
        return (schema, name) in self.existing or (schema, name) in self.handed_out


_allocators: WeakKeyDictionary[Catalog, _Allocator] = WeakKeyDictionary()


def index_name(catalog: Catalog, table: Table, columns: Sequence[str]) -> str:
    """A fresh, deterministic index name for `columns` of `table`."""
    allocator = _allocators.get(catalog)
    if allocator is None:
        allocator = _allocators[catalog] = _Allocator(catalog)
    return allocator.name(table, columns)


def fk_index_fix(catalog: Catalog, fk: ForeignKey, verdict: FkCoverage) -> str | None:
    """CREATE INDEX for the FK columns, or None when no index can help until the types match.

    A temporal key (PERIOD) is searched by range overlap, which only GiST supports; its scalar
    columns then need the btree_gist extension, as its primary key already did. A column the
    lookup compares in another collation than its own gets that collation in the index.
    """
    if verdict.blocked_by_operator:
        return None  # the check casts a column: no plain index on it helps (FK103)
    child = catalog.table(fk.table_oid)
    columns: list[str] = []
    collations: dict[str, tuple[str, str]] = {}
    for position, (attnum, operator) in enumerate(zip(fk.attnums, fk.pf_eq_operators, strict=True)):
        column = child.column(attnum)
        if catalog.casts_column(column.type_oid, operator):
            return None  # the check casts a column: no plain index on it helps (FK103)
        compared_in = comparison_collation(catalog, fk, position)
        if compared_in is None:
            return None  # no collation can serve: the lookup fails (FK103 says why)
        if compared_in != column.collation_oid:
            collation = catalog.collations[compared_in]
            collations[column.name] = (collation.schema, collation.name)
        columns.append(column.name)
    method = "gist" if fk.is_period else None
    name = index_name(catalog, child, columns)
    return create_index(child, name, columns, method, collations)
