"""The foreign key was added NOT VALID and never validated: existing rows are unchecked.

What it does
    Fires for a foreign key whose `pg_constraint.convalidated` is false, except NOT ENFORCED
    keys (PostgreSQL 18), which are never validated and are reported by FK403 instead.

Why it matters
    `ADD CONSTRAINT … NOT VALID` checks new and updated rows only. Rows that existed when the
    constraint was added may reference nothing (orphans), the planner cannot rely on the
    constraint, and the team believes an invariant holds that nobody has verified.

How to fix
    Validate it; this scans the child with a SHARE UPDATE EXCLUSIVE lock, which does not block
    reads or writes: `ALTER TABLE child VALIDATE CONSTRAINT fk;`. If it fails, delete or repair
    the orphans first (the orphan auditor lists them). Before PostgreSQL 18 a partitioned child
    cannot validate a NOT VALID key; no fix is offered there.

Example
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers NOT VALID;                 -- fires
    ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_customer;   -- fixed

Known limits
    The rule reads the catalog only; whether orphans actually exist is the orphan auditor's job.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import validate_constraint
from fkaudit.rules import ForeignKeyRule

_PARTITIONED_VALIDATE_SINCE = 180000


class NotValidForeignKey(ForeignKeyRule):
    code = "FK401"
    name = "not-valid-foreign-key"
    default_severity = Severity.WARNING

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        if fk.validated or not fk.enforced:
            return
        child = catalog.table(fk.table_oid)
        can_validate = (
            not child.is_partitioned or catalog.server_version_num >= _PARTITIONED_VALIDATE_SINCE
        )
        yield self.finding_for(
            catalog,
            fk,
            f"{fk.name} is NOT VALID: rows that existed when it was added were never "
            "checked and may reference nothing"
            + (
                ""
                if can_validate
                else "; a partitioned table cannot validate it before PostgreSQL 18"
            ),
            fix=validate_constraint(child, fk.name) if can_validate else None,
        )
