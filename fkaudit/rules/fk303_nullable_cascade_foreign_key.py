"""ON DELETE CASCADE on a foreign key whose columns may be NULL.

What it does
    Fires when a foreign key deletes its children with their parent (ON DELETE CASCADE) while
    one of its referencing columns is nullable. A column is not nullable when it is declared
    NOT NULL or when a validated CHECK constraint of the table forbids NULL in it:
    `CHECK (col IS NOT NULL)` alone or ANDed with other conditions (any nesting), or
    `NOT (col IS NULL)`; not `a IS NOT NULL OR b IS NOT NULL`, which allows either to be NULL,
    nor `CHECK (col > 0)`, which NULL passes. A NOT VALID CHECK (or PostgreSQL 18 NOT VALID
    NOT NULL) does not count: rows older than it may still be NULL. On a partitioned table the
    partitioned table's own CHECKs count (every partition inherits them), not those of single
    partitions; on an inheritance parent its CHECKs count, NO INHERIT ones included, since its
    foreign key covers only its own rows.

Why it matters
    CASCADE says a child cannot exist without its parent, yet a nullable column lets child rows
    exist with no parent at all. One of the two is a mistake: either the column should be NOT
    NULL, or children can outlive their parent and the action should be SET NULL.

How to fix
    `ALTER TABLE child ALTER COLUMN col SET NOT NULL;` (scans the table under an ACCESS
    EXCLUSIVE lock), or on a large table `ALTER TABLE child ADD CONSTRAINT col_not_null CHECK
    (col IS NOT NULL) NOT VALID;` then `ALTER TABLE child VALIDATE CONSTRAINT col_not_null;`,
    which lets writes go on; or change the action to ON DELETE SET NULL. When a NOT VALID
    constraint already rejects NULL in the column, the suggestion validates it.

Example
    CREATE TABLE order_item (order_id int REFERENCES orders ON DELETE CASCADE);
    -- fires: order_id is nullable
    ALTER TABLE order_item ALTER COLUMN order_id SET NOT NULL;   -- fixed
    ALTER TABLE order_item ADD CONSTRAINT order_id_not_null
        CHECK (order_id IS NOT NULL) NOT VALID;                   -- still fires...
    ALTER TABLE order_item VALIDATE CONSTRAINT order_id_not_null;   -- ...fixed as well

Known limits
    A nullable column may be intended (an optional parent whose children die with it); suppress
    the finding for that constraint. A CHECK is read for its null tests joined by AND, OR and
    NOT only: `CHECK ((col IS NOT NULL) IS TRUE)`, `CHECK (num_nonnulls(col) = 1)` or a NOT NULL
    domain are not recognised, and the finding stays.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Action, Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.wording import nullable_columns_finding


class NullableCascadeForeignKey(ForeignKeyRule):
    code = "FK303"
    name = "nullable-cascade-foreign-key"
    default_severity = Severity.WARNING

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        if fk.on_delete is not Action.CASCADE:
            return
        yield from nullable_columns_finding(
            self,
            catalog,
            fk,
            lambda columns: (
                f"ON DELETE CASCADE but {columns} may be NULL: rows without a parent "
                "are allowed although they are deleted with it; make the column(s) NOT NULL or use "
                "ON DELETE SET NULL"
            ),
        )
