"""An RI trigger of the foreign key is disabled: the constraint is silently not enforced.

What it does
    Every enforced foreign key has internal triggers: two on the referencing table (check
    inserts and updates) and two on the referenced table (act on deletes and key updates), and
    copies of them on partitions. The rule fires when any of them is disabled
    (`pg_trigger.tgenabled = 'D'`, left behind by `ALTER TABLE … DISABLE TRIGGER ALL`) or set to
    fire only in replica sessions (`'R'`). Triggers of partition copies are reported on the
    foreign key itself and name the partition.

Why it matters
    The catalog still shows a valid constraint, but with a disabled trigger PostgreSQL no longer
    checks it: inserts may reference nothing and deletes leave orphans or skip their cascades.
    Bulk loads commonly disable triggers and forget to re-enable them.

How to fix
    Enable the listed triggers (internal triggers need a superuser):
    `ALTER TABLE child ENABLE TRIGGER "RI_ConstraintTrigger_c_16411";`
    then look for orphans created meanwhile (the orphan auditor), because re-enabling does not
    re-check existing rows.

Example
    ALTER TABLE orders DISABLE TRIGGER ALL;             -- fires
    ALTER TABLE orders ENABLE TRIGGER ALL;              -- fixed

Known limits
    Triggers in state 'A' (always fire) are enforced and not reported. Trigger names contain
    OIDs, so the fix is specific to the database it was generated from.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import enable_trigger
from fkaudit.rules import ForeignKeyRule

_NOT_FIRING = {"D": "disabled", "R": "replica-only"}


class DisabledForeignKeyTrigger(ForeignKeyRule):
    code = "FK402"
    name = "disabled-foreign-key-trigger"
    default_severity = Severity.ERROR

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        idle = [t for t in fk.unusual_triggers if t.enabled in _NOT_FIRING]
        if not idle:
            return
        where = sorted(
            {
                f"{catalog.table(t.table_oid).qualified_name} ({_NOT_FIRING[t.enabled]})"
                for t in idle
            }
        )
        yield self.finding_for(
            catalog,
            fk,
            f"{len(idle)} RI trigger(s) of {fk.name} do not fire, on {', '.join(where)}: "
            "the foreign key is not enforced and orphans may exist",
            fix="\n".join(enable_trigger(catalog.table(t.table_oid), t.name) for t in idle),
            details={"triggers": [t.name for t in idle]},
        )
