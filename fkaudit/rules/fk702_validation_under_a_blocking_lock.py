"""A migration validates a foreign key in a transaction that blocks writes to its tables.

What it does
    Under review (`check --migrations DIR --new-since FILE`), fires for each statement of the
    new migrations that validates a foreign key of a table that existed before (NOT VALID
    before it, valid after) inside a transaction that added that key, or that already held a
    lock blocking writes (SHARE or stronger, as `pg_locks` showed right after the validation)
    on the key's table or on the table it references. A lock the transaction takes after the
    validation does not count: the scan was over by then.

Why it matters
    `VALIDATE CONSTRAINT` alone takes SHARE UPDATE EXCLUSIVE on the table, which lets reads and
    writes go on while it scans: that is the point of adding a key NOT VALID first. In the
    transaction that ran `ADD ... NOT VALID` the table is still held in SHARE ROW EXCLUSIVE
    (and the referenced table too) until the transaction ends, so the scan runs with writes
    blocked, exactly as without NOT VALID. Rails and Django run a migration in one transaction
    unless told otherwise, so putting both statements in one migration is an easy mistake. A
    lock an earlier statement took on the referenced table (`ADD COLUMN` on it) is held through
    the scan of the referencing table just the same.

How to fix
    Validate in a migration of its own (a transaction of its own), after the one that added
    the key NOT VALID has been deployed.

Example
    -- one migration, one transaction:
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_customer;      -- fires
    -- the VALIDATE in the next migration: does not fire

Known limits
    Locks are those held by the migration's own transaction; fkaudit does not know what else
    runs on the production server at the time.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.changes.observe import BLOCKS_WRITES, Change, Located
from fkaudit.findings import Severity
from fkaudit.rules import ChangeRule
from fkaudit.rules.change_findings import blocked, key_finding, locks_phrase, observed_locks


class ValidationUnderABlockingLock(ChangeRule):
    code = "FK702"
    name = "validation-under-a-blocking-lock"
    default_severity = Severity.WARNING

    def review(self, change: Change) -> Iterator[Located]:
        replay = change.replay
        for statement in replay.statements:
            if not statement.in_transaction:
                continue
            validated = statement.validated_foreign_keys()
            earlier = replay.transaction_of(statement) if validated else []
            for fk in validated:
                if fk.table not in replay.pre or fk.parent:
                    continue  # a new table: nobody writes it yet; a partition's copy of a key
                added_here = any(fk.oid in [k.oid for k in s.added_foreign_keys()] for s in earlier)
                # What the transaction holds once the validation has run, on the key's table and
                # on the one it references: everything its earlier statements took (held to its
                # end) and the validation's own. A lock a later statement takes was not held
                # during the scan.
                blocking = {
                    table: held
                    for table in dict.fromkeys((fk.table, fk.referenced))
                    if (held := statement.held_after(table)) & BLOCKS_WRITES
                }
                if not added_here and not blocking:
                    continue
                why = (
                    "the transaction that added it"
                    if added_here
                    else "a transaction that also holds "
                    + " and ".join(
                        f"{locks_phrase(modes & BLOCKS_WRITES)} on {replay.name(t)}"
                        for t, modes in blocking.items()
                    )
                )
                locked = " and ".join(
                    f"{replay.name(t)} {'in' if n else 'stays locked in'} {locks_phrase(modes)}"
                    for n, (t, modes) in enumerate(blocking.items())
                )
                yield key_finding(
                    self,
                    replay,
                    statement,
                    fk,
                    f"validates {fk.name} in {why}: {locked} (observed in pg_locks) until that "
                    f"transaction ends, so the scan of {replay.name(fk.table)} blocks "
                    f"{blocked(replay, blocking)} as if the key had been added valid; validate "
                    "it in a migration of its own",
                    suggestion=_validate(*replay.names[fk.table], fk.name),
                    details={"locks": observed_locks(replay, statement, fk.table, fk.referenced)},
                )


def _validate(schema: str, table: str, name: str) -> str:
    from psycopg import sql

    from fkaudit.fixsql import render

    return render(
        sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
            sql.Identifier(schema, table), sql.Identifier(name)
        )
    )
