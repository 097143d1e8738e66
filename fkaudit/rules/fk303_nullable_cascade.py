"""ON DELETE CASCADE on a foreign key whose columns may be NULL.

What it does
    Fires when a foreign key deletes its children with their parent (ON DELETE CASCADE) while
    one of its referencing columns is nullable.

Why it matters
    CASCADE says a child cannot exist without its parent, yet a nullable column lets child rows
    exist with no parent at all. One of the two is a mistake: either the column should be NOT
    NULL, or children can outlive their parent and the action should be SET NULL.

How to fix
    `ALTER TABLE child ALTER COLUMN col SET NOT NULL;` (validates existing rows; on a large
    table first add a `CHECK (col IS NOT NULL) NOT VALID`, validate it, then set NOT NULL), or
    change the action to ON DELETE SET NULL.

Example
    CREATE TABLE order_item (order_id int REFERENCES orders ON DELETE CASCADE);
    -- fires: order_id is nullable
    ALTER TABLE order_item ALTER COLUMN order_id SET NOT NULL;   -- fixed

Known limits
    A nullable column may be intended (an optional parent whose children die with it); suppress
    the finding for that constraint.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Action, Catalog
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import set_not_null
from fkaudit.rules import Rule
from fkaudit.rules.wording import nullable_columns


class NullableCascadeForeignKey(Rule):
    code = "FK303"
    name = "nullable-cascade-foreign-key"
    default_severity = Severity.WARNING

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        for fk in catalog.inspected_foreign_keys:
            if fk.on_delete is not Action.CASCADE:
                continue
            child = catalog.table(fk.table_oid)
            nullable = nullable_columns(catalog, fk)
            if not nullable:
                continue
            yield self.finding_for(
                catalog,
                fk,
                f"ON DELETE CASCADE but {', '.join(nullable)} may be NULL: rows without a "
                "parent are allowed although they are deleted with it; make the column(s) "
                "NOT NULL or use ON DELETE SET NULL",
                columns=nullable,
                suggestion=set_not_null(child, nullable),
            )
