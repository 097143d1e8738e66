"""A column that looks like a foreign key but has no constraint (opt-in).

What it does
    Finds columns named `<stem>_id` that no foreign key covers, whose type is the type of the
    single-column primary key of a table named like the stem (`customer_id` and `customer` or
    `customers`, `category_id` and `categories`). A table in the same schema is preferred; a
    name that matches tables in several other schemas is ambiguous and skipped. When orphan
    scanning is on (`--orphans suspect` or `all`), the pair is scanned like a foreign key and
    the finding says how many rows reference nothing. Opt-in: select FK502 or set
    `enabled = true` in its configuration section.

Why it matters
    A reference without a constraint is enforced by nothing: application bugs, manual fixes
    and bulk loads leave rows pointing at deleted or never-existing parents, and deletes never
    cascade. ORMs and hand-written schemas often skip the constraint "for speed".

How to fix
    Add the constraint without blocking writes, then validate it (clean the orphans first):
    `ALTER TABLE orders ADD CONSTRAINT fk_orders_customer_id FOREIGN KEY (customer_id)
    REFERENCES customers (id) NOT VALID;` then `ALTER TABLE orders VALIDATE CONSTRAINT
    fk_orders_customer_id;`. If the column is not a reference, rename it or suppress the
    finding with a comment on the table.

Example
    CREATE TABLE customers (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);   -- fires

Known limits
    Only `_id` suffixes, single-column primary keys and simple English plurals (s, es,
    y -> ies) are recognised; a column referencing a unique key other than the primary key,
    or a differently named table, is not found.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fkaudit.catalog.model import Action, Catalog, ForeignKey, ImpliedReference, MatchType
from fkaudit.findings import Finding, ImpliedKeyDetails, Severity
from fkaudit.fixsql import add_foreign_key, validate_constraint
from fkaudit.rules import DataRule
from fkaudit.rules.names import constraint_names_by_schema, make_object_name, unique_name

if TYPE_CHECKING:  # the data auditor needs psycopg, which `fkaudit rules` must not load
    from fkaudit.orphans.scan import OrphanCount


class ImpliedForeignKey(DataRule):
    code = "FK502"
    name = "implied-foreign-key"
    default_severity = Severity.INFO
    enabled_by_default = False
    reads_implied_references = True

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        """Each implied key, without orphan counts (`--orphans off`)."""
        for fk in self.implied_keys(catalog):
            yield self.finding(catalog, fk, None)

    def keys_to_scan(self, catalog: Catalog, mode: str) -> list[ForeignKey]:
        """Every implied key, whatever the mode: the count is what makes the finding useful."""
        return self.implied_keys(catalog)

    def scanned(self, catalog: Catalog, result: OrphanCount) -> Finding:
        return self.finding(catalog, result.fk, result)

    def unscanned(self, catalog: Catalog, fk: ForeignKey) -> Finding:
        """Still implied when its scan failed; the count is unknown."""
        return self.finding(catalog, fk, None)

    def implied_keys(self, catalog: Catalog) -> list[ForeignKey]:
        """Each candidate as the foreign key it would be (named as fkaudit would name it),
        marked `implied`; its oid is made up (negative, unique in the run), never a catalog's."""
        taken = constraint_names_by_schema(catalog)
        keys = []
        for number, ref in enumerate(_unambiguous(catalog), start=1):
            child = catalog.table(ref.table_oid)
            column = child.column(ref.attnum).name
            name = unique_name(
                make_object_name("fk_" + child.name, column, None),
                taken.setdefault(child.schema, set()),
            )
            taken[child.schema].add(name)
            keys.append(
                ForeignKey(
                    -number,
                    child.schema,
                    name,
                    ref.table_oid,
                    ref.ref_table_oid,
                    attnums=(ref.attnum,),
                    ref_attnums=(ref.ref_attnum,),
                    pf_eq_operators=(ref.operator,),
                    on_delete=Action.NO_ACTION,
                    on_update=Action.NO_ACTION,
                    match_type=MatchType.SIMPLE,
                    deferrable=False,
                    initially_deferred=False,
                    validated=True,
                    enforced=True,
                    is_period=False,
                    delete_set_attnums=None,
                    parent_constraint_oid=None,
                    implied=True,
                )
            )
        return keys

    def finding(self, catalog: Catalog, fk: ForeignKey, scanned: OrphanCount | None) -> Finding:
        child, parent = catalog.table(fk.table_oid), catalog.table(fk.ref_table_oid)
        column = child.column(fk.attnums[0]).name
        key = parent.column(fk.ref_attnums[0]).name
        message = (
            f"{child.qualified_name}.{column} looks like a reference to "
            f"{parent.qualified_name} ({key}), same type and a matching name, but no foreign "
            "key enforces it"
        )
        if scanned is not None:
            message += f"; {scanned.count:,} row(s) reference no row"
        # NOT VALID then VALIDATE avoids a long lock; partitioned tables accept it from 18 only.
        staged = not child.is_partitioned or catalog.server_version_num >= 180000
        statement = add_foreign_key(child, fk.name, column, parent, key, not_valid=staged)
        return self.finding_for(
            catalog,
            fk,
            message,
            columns=[column],
            suggestion=statement + ("\n" + validate_constraint(child, fk.name) if staged else ""),
            details=ImpliedKeyDetails(
                referenced_table=parent.qualified_name,
                referenced_column=key,
                orphan_count=None if scanned is None else scanned.count,
            ),
        )


def _unambiguous(catalog: Catalog) -> Iterator[ImpliedReference]:
    """One referenced table per column: the same schema's first, else the only one."""
    by_column: dict[tuple[int, int], list[ImpliedReference]] = {}
    for ref in catalog.implied_references:
        if ref.table_oid in catalog.in_scope_table_oids:
            by_column.setdefault((ref.table_oid, ref.attnum), []).append(ref)
    for (table_oid, _), refs in sorted(by_column.items()):
        schema = catalog.table(table_oid).schema
        local = [r for r in refs if catalog.table(r.ref_table_oid).schema == schema]
        pick = sorted(local or refs, key=lambda r: catalog.table(r.ref_table_oid).qualified_name)
        if local or len(refs) == 1:
            yield pick[0]
