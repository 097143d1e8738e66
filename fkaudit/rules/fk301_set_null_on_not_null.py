"""ON DELETE or ON UPDATE SET NULL on a column that is NOT NULL: every such action fails.

What it does
    Fires when a foreign key's ON DELETE or ON UPDATE action is SET NULL and a column the action
    would set to NULL is declared NOT NULL. On PostgreSQL 15 and later, `ON DELETE SET NULL
    (col, …)` only sets the listed columns, so only those are checked for the delete action.

Why it matters
    PostgreSQL accepts the definition, but the first parent delete (or key update) that reaches a
    child row fails with `null value in column … violates not-null constraint`: the action
    cannot ever succeed, so the parent row can never be deleted while it has children.

How to fix
    Decide what the relationship means: if children may outlive their parent, drop the NOT NULL
    (`ALTER TABLE child ALTER COLUMN col DROP NOT NULL`); if they may not, change the action to
    CASCADE or RESTRICT (drop and re-add the constraint, `NOT VALID` then `VALIDATE`).

Example
    CREATE TABLE payment (order_id int NOT NULL REFERENCES orders ON DELETE SET NULL);
    -- fires: deleting an order with payments always fails

Known limits
    None known.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Action, Catalog
from fkaudit.findings import Finding, Severity
from fkaudit.rules import Rule

_VERB = {"DELETE": "delete", "UPDATE": "key update"}


class SetNullOnNotNullColumn(Rule):
    code = "FK301"
    name = "set-null-on-not-null-column"
    default_severity = Severity.ERROR

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        for fk in catalog.inspected_foreign_keys:
            child = catalog.table(fk.table_oid)
            failing: dict[str, list[str]] = {}
            for event, action, attnums in (
                ("DELETE", fk.on_delete, fk.delete_set_attnums or fk.attnums),
                ("UPDATE", fk.on_update, fk.attnums),
            ):
                not_null = [child.column(n).name for n in attnums if child.column(n).not_null]
                if action is Action.SET_NULL and not_null:
                    failing[event] = not_null
            if not failing:
                continue
            events = " and ".join(f"ON {event} SET NULL" for event in failing)
            columns = list(dict.fromkeys(c for cols in failing.values() for c in cols))
            parent = catalog.table(fk.ref_table_oid).qualified_name
            yield self.finding_for(
                catalog,
                fk,
                f"{events} on NOT NULL column(s) {', '.join(columns)}: every "
                f"{' or '.join(_VERB[event] for event in failing)} of a referenced row in "
                f"{parent} that has children fails; drop the NOT NULL or change the action",
                columns=columns,
                details={"events": [event.lower() for event in failing]},
            )
