"""A multi-column foreign key with MATCH SIMPLE and a nullable column lets half-null rows escape.

What it does
    Fires for a foreign key on two or more columns, declared MATCH SIMPLE (the default), where
    at least one referencing column is nullable. A column kept from NULL by a validated CHECK
    constraint of the table (`CHECK (col IS NOT NULL)`, alone or ANDed) is not nullable, as
    for FK303; a NOT VALID one does not count, since older rows may still be NULL.

Why it matters
    Under MATCH SIMPLE the check is skipped as soon as any column is NULL: a row
    `(tenant_id, customer_id) = (7, NULL)` is accepted even if tenant 7 does not exist, and
    `(NULL, 42)` passes whatever the customer. Such rows reference nothing, yet the constraint
    looks as if it protected them.

How to fix
    If the columns are always set together, make them NOT NULL
    (`ALTER TABLE child ALTER COLUMN customer_id SET NOT NULL`, or a NOT VALID CHECK
    validated afterwards on a large table; the suggestion validates a NOT VALID one already
    there). If the reference is optional as a whole, recreate the constraint with MATCH FULL,
    which allows all-NULL rows and rejects partly-NULL ones.

Example
    CREATE TABLE orders (tenant_id int, customer_id int,
        FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id));  -- fires

Known limits
    A CHECK constraint such as `CHECK ((a IS NULL) = (b IS NULL))` closes the gap as well, but
    is not recognised: suppress the finding in that case.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey, MatchType
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.wording import nullable_columns_finding


class MatchSimplePartialNull(ForeignKeyRule):
    code = "FK304"
    name = "match-simple-partial-null"
    default_severity = Severity.WARNING

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        if len(fk.attnums) < 2 or fk.match_type is not MatchType.SIMPLE:
            return
        yield from nullable_columns_finding(
            self,
            catalog,
            fk,
            lambda columns: (
                f"MATCH SIMPLE with nullable column(s) {columns}: a row with any of "
                "them NULL skips the check, so partly filled keys may reference nothing; make them "
                "NOT NULL or use MATCH FULL"
            ),
        )
