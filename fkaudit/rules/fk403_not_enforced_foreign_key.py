"""The foreign key is declared NOT ENFORCED (PostgreSQL 18): nothing checks it.

What it does
    Fires for a foreign key with `pg_constraint.conenforced = false`.

Why it matters
    A NOT ENFORCED foreign key documents a relationship without checking it: it has no triggers
    and costs nothing on writes, but rows may reference nothing, deletes never cascade, and
    readers of the schema may take it for a real constraint. Sometimes that is the intent
    (a data warehouse, a migration in progress); it should be a decision, not an accident.

How to fix
    If the relationship must hold, enforce it (this validates existing rows, so clean orphans
    first): `ALTER TABLE child ALTER CONSTRAINT fk ENFORCED;`. If not, suppress the finding
    with a comment on the constraint that says why.

Example
    ALTER TABLE events ADD CONSTRAINT fk_events_user FOREIGN KEY (user_id)
        REFERENCES users NOT ENFORCED;                  -- fires

Known limits
    Only PostgreSQL 18 and later can declare NOT ENFORCED; older servers never fire.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import enforce_constraint
from fkaudit.rules import ForeignKeyRule


class NotEnforcedForeignKey(ForeignKeyRule):
    code = "FK403"
    name = "not-enforced-foreign-key"
    default_severity = Severity.WARNING

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        if fk.enforced:
            return
        yield self.finding_for(
            catalog,
            fk,
            f"{fk.name} is NOT ENFORCED: no row is checked, rows may reference nothing "
            "and deletes never cascade",
            suggestion=enforce_constraint(catalog.table(fk.table_oid), fk.name),
        )
