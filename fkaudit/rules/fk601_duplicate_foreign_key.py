"""Two foreign keys enforce the same reference: every write pays for the check twice.

What it does
    Groups foreign keys by referencing table, referenced table and the pairs of (referencing
    column, referenced column), regardless of column order, and fires for every key in a group
    but one. The one kept is validated and enforced if any is, then explicitly named, then the
    first by name. Partition copies and the internal rows of keys to partitioned tables are
    not counted.

Why it matters
    Each foreign key has its own triggers: inserts and updates of the child check the parent
    twice, deletes of the parent look up the child twice, and the two may even disagree on
    their actions (one CASCADE, one RESTRICT), making behaviour depend on trigger order. Usually
    a migration re-added a constraint under a new name without dropping the old one.

How to fix
    Drop the redundant one: `ALTER TABLE child DROP CONSTRAINT orders_customer_id_fkey1;`.
    When the actions, match type or deferrability differ the drop is only suggested: decide
    which behaviour is intended first.

Example
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers;
    ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;   -- fires

Known limits
    Keys that reference the same parent through different unique keys are not duplicates and do
    not fire, even when one key implies the other.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import drop_constraint
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.fk201_auto_named_foreign_key import is_generated_name
from fkaudit.rules.wording import fk_columns


def _behaviour(fk: ForeignKey) -> tuple[object, ...]:
    """Everything besides the columns that makes two keys act the same."""
    return (
        fk.on_delete,
        fk.on_update,
        fk.match_type,
        fk.deferrable,
        fk.initially_deferred,
        fk.enforced,
        fk.is_period,
        fk.delete_set_attnums,
    )


class DuplicateForeignKey(ForeignKeyRule):
    code = "FK601"
    name = "duplicate-foreign-key"
    default_severity = Severity.WARNING
    kept_instead: dict[int, ForeignKey]  # by oid: each redundant key and the key to keep

    def start(self, catalog: Catalog) -> None:
        """Group the keys by columns and tables once; in each group one key is kept."""
        first: dict[tuple[int, ...], ForeignKey] = {}
        groups: dict[tuple[int, ...], list[ForeignKey]] = {}  # only keys with duplicates
        for fk in catalog.inspected_foreign_keys:
            # The column pairs as a set, flattened into the key: a flat tuple of ints costs a
            # quarter of a frozenset per key, and nearly every key is alone in its group.
            pairs = sorted(set(zip(fk.attnums, fk.ref_attnums, strict=True)))
            group = (fk.table_oid, fk.ref_table_oid, *(n for pair in pairs for n in pair))
            seen = first.setdefault(group, fk)
            if seen is not fk:
                groups.setdefault(group, [seen]).append(fk)
        self.kept_instead = {}
        for members in groups.values():
            kept, *redundant = sorted(members, key=lambda fk: self._keep_order(catalog, fk))
            self.kept_instead.update((fk.oid, kept) for fk in redundant)

    def finish(self, catalog: Catalog) -> None:
        self.kept_instead = {}

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        kept = self.kept_instead.get(fk.oid)
        if kept is not None:
            yield self._finding(catalog, fk, kept)

    @staticmethod
    def _keep_order(catalog: Catalog, fk: ForeignKey) -> tuple[bool, bool, bool, str]:
        table = catalog.table(fk.table_oid).name
        auto = is_generated_name(fk.name, table, fk_columns(catalog, fk))
        return (not fk.enforced, not fk.validated, auto, fk.name)

    def _finding(self, catalog: Catalog, fk: ForeignKey, kept: ForeignKey) -> Finding:
        child = catalog.table(fk.table_oid)
        same = _behaviour(fk) == _behaviour(kept)
        drop = drop_constraint(child, fk.name)
        return self.finding_for(
            catalog,
            fk,
            f"{fk.name} duplicates {kept.name} (same columns, same referenced table): every "
            "write is checked twice"
            + (
                ""
                if same
                else "; their actions, match type or deferrability differ, so "
                "decide which behaviour is intended before dropping one"
            ),
            fix=drop if same else None,
            suggestion=None if same else drop,
            details={"duplicate_of": kept.name, "same_behaviour": same},
        )
