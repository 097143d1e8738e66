"""Two indexes serve the same foreign key and the narrower one adds nothing (opt-in).

What it does
    For each foreign key, looks at the plain btree indexes of the referencing table whose key
    columns are exactly the FK columns (not unique, no predicate, no INCLUDE columns: indexes
    that exist only for the foreign key). Such an index is redundant when another valid,
    non-partial btree index of the same table starts with the same columns in the same order,
    with the same operator classes and collations, and so serves the same lookups. Of two
    identical indexes the one whose name sorts last is reported. Opt-in: select FK602 or set
    `enabled = true` in its configuration section.

Why it matters
    Every index is written on every insert and key update, takes disk and cache, and slows
    vacuum; one that duplicates a wider index's leading columns serves no lookup the wider one
    cannot.

How to fix
    Drop the narrower index, concurrently so writes are not blocked:
    `DROP INDEX CONCURRENTLY orders_customer_id_idx;` — after checking that nothing relies on
    it by name (hints, `CLUSTER`) and that the wider index stays.

Example
    CREATE INDEX ON orders (customer_id);
    CREATE INDEX ON orders (customer_id, created_at);   -- the first one fires

Known limits
    The narrower index is smaller and can be slightly faster for the FK lookup itself; on very
    wide composite indexes keeping it may be a deliberate choice. Partition leaves are not
    examined one by one.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey, Index
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import drop_index
from fkaudit.rules import ForeignKeyRule


def _plain_btree(index: Index) -> bool:
    return index.access_method == "btree" and index.is_usable and index.predicate is None


def _key(index: Index, width: int) -> tuple[tuple[int, ...], ...]:
    """The first `width` key columns with their operator families and collations."""
    return (
        index.key_attnums[:width],
        index.key_opfamilies[:width],
        index.key_collations[:width],
    )


class RedundantForeignKeyIndex(ForeignKeyRule):
    code = "FK602"
    name = "redundant-foreign-key-index"
    default_severity = Severity.INFO
    enabled_by_default = False
    reported: set[int]  # oids of the indexes already reported, for another key on them

    def start(self, catalog: Catalog) -> None:
        """An index that serves two identical keys is reported once."""
        self.reported = set()

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        indexes = [i for i in catalog.table_indexes(fk.table_oid) if _plain_btree(i)]
        for narrow in indexes:
            if narrow.oid in self.reported or not self._only_for(narrow, fk):
                continue
            wider = self._covering(narrow, indexes)
            if wider is not None:
                self.reported.add(narrow.oid)
                yield self._finding(catalog, fk, narrow, wider)

    @staticmethod
    def _only_for(index: Index, fk: ForeignKey) -> bool:
        return (
            not index.is_unique
            and not index.include_attnums
            and sorted(index.key_attnums) == sorted(fk.attnums)
        )

    @staticmethod
    def _covering(narrow: Index, indexes: list[Index]) -> Index | None:
        width = len(narrow.key_attnums)
        for other in indexes:
            if other.oid == narrow.oid or _key(other, width) != _key(narrow, width):
                continue
            identical = len(other.key_attnums) == width and not other.include_attnums
            if not identical or other.is_unique or other.name < narrow.name:
                return other
        return None

    def _finding(self, catalog: Catalog, fk: ForeignKey, narrow: Index, wider: Index) -> Finding:
        child = catalog.table(fk.table_oid)
        return self.finding_for(
            catalog,
            fk,
            f"index {narrow.name} serves this foreign key, but {wider.name} starts with the "
            f"same columns and serves it as well: {narrow.name} only costs writes",
            suggestion=drop_index(child, narrow.name),
            details={"index": narrow.name, "covered_by": wider.name},
        )
