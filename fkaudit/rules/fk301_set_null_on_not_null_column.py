"""ON DELETE or ON UPDATE SET NULL on a column that rejects NULL: every such action fails.

What it does
    Fires when a foreign key's ON DELETE or ON UPDATE action is SET NULL and a column the action
    would set to NULL rejects NULL: it is declared NOT NULL, or a CHECK constraint of the table
    such as `CHECK (col IS NOT NULL)` forbids NULL in it (alone, ANDed with other conditions,
    or as `NOT (col IS NULL)`; `a IS NOT NULL OR b IS NOT NULL` forbids neither). A NOT VALID
    CHECK, and on PostgreSQL 18 a NOT VALID NOT NULL constraint, count too: PostgreSQL checks
    them on every row written, and the action writes the row. On PostgreSQL 15 and later,
    `ON DELETE SET NULL (col, …)` only sets the listed columns, so only those are checked for
    the delete action.

Why it matters
    PostgreSQL accepts the definition, but the first parent delete (or key update) that reaches a
    child row fails with `null value in column … violates not-null constraint` (or `new row …
    violates check constraint …`): the action cannot ever succeed, so the parent row can never
    be deleted while it has children.

How to fix
    Decide what the relationship means: if children may outlive their parent, drop the NOT NULL
    (`ALTER TABLE child ALTER COLUMN col DROP NOT NULL`) or the CHECK; if they may not, change
    the action to CASCADE or RESTRICT (drop and re-add the constraint, `NOT VALID` then
    `VALIDATE`).

Example
    CREATE TABLE payment (order_id int NOT NULL REFERENCES orders ON DELETE SET NULL);
    -- fires: deleting an order with payments always fails
    CREATE TABLE refund (order_id int REFERENCES orders ON DELETE SET NULL,
        CONSTRAINT refund_order_not_null CHECK (order_id IS NOT NULL));   -- fires as well

Known limits
    Only the table's own constraints count: a CHECK on some partitions of a partitioned table
    (not on the partitioned table itself) makes the action fail only for children in those
    partitions, and is not reported. A CHECK is recognised by its null tests only (not
    `CHECK (col > 0 IS TRUE)`, nor a NOT NULL domain).
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Action, Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.wording import NullRejection, null_rejection

_VERB = {"DELETE": "delete", "UPDATE": "key update"}


class SetNullOnNotNullColumn(ForeignKeyRule):
    code = "FK301"
    name = "set-null-on-not-null-column"
    default_severity = Severity.ERROR

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        child = catalog.table(fk.table_oid)
        failing: dict[str, NullRejection] = {}
        for event, action, attnums in (
            ("DELETE", fk.on_delete, fk.delete_set_attnums or fk.attnums),
            ("UPDATE", fk.on_update, fk.attnums),
        ):
            if action is Action.SET_NULL and (why := null_rejection(child, attnums)):
                failing[event] = why
        if not failing:
            return
        # Both events write the same columns unless PG15's SET NULL (cols) narrows the
        # delete; the wider one says it all.
        why = max(failing.values(), key=lambda w: len(w.written))
        events = " and ".join(f"ON {event} SET NULL" for event in failing)
        parent = catalog.table(fk.ref_table_oid).qualified_name
        remedy = "drop the NOT NULL" if why.declared_only else "drop what rejects NULL"
        details: dict[str, object] = {"events": [event.lower() for event in failing]}
        if constraints := why.constraints:
            details["null_constraints"] = constraints
        yield self.finding_for(
            catalog,
            fk,
            f"{events} on {why.phrase()}: every "
            f"{' or '.join(_VERB[event] for event in failing)} of a referenced row in "
            f"{parent} that has children fails; {remedy} or change the action",
            columns=why.columns,
            details=details,
        )
