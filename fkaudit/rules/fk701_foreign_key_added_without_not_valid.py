"""A migration adds a foreign key to an existing table and validates it at once.

What it does
    Under review (`check --migrations DIR --new-since FILE`), fires for each statement of the
    new migrations after which a table that existed before has a new, validated foreign key
    and PostgreSQL scanned that table during the statement: `ADD FOREIGN KEY` without
    `NOT VALID`. It names the lock modes fkaudit observed in `pg_locks` on the table and on the
    referenced table right after the statement.

Why it matters
    Adding a foreign key takes SHARE ROW EXCLUSIVE on both tables and, without NOT VALID, reads
    the whole referencing table to check every row while holding it: no insert, update or
    delete on either table until the migration's transaction ends. On a large table that is
    one of the commonest migration outages. `ADD COLUMN ... REFERENCES` on a new column needs
    no scan (every value is NULL) and does not fire.

How to fix
    Add the key NOT VALID (new rows are checked from then on; the lock is brief), then validate
    it in a later migration, in a transaction of its own: `VALIDATE CONSTRAINT` takes only SHARE
    UPDATE EXCLUSIVE on the table, which lets reads and writes go on during its scan.

Example
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers;                                       -- fires
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers NOT VALID;                             -- does not fire
    -- and in a later migration:
    ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_customer;

Known limits
    Before PostgreSQL 18 a partitioned table cannot take a NOT VALID foreign key: add it to
    each partition NOT VALID, validate them, then add it to the parent. The blocked window is
    as long as the scan, which fkaudit cannot time on an empty throwaway server.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.changes.observe import BLOCKS_WRITES, Change, Located
from fkaudit.findings import Severity
from fkaudit.rules import ChangeRule
from fkaudit.rules.change_findings import (
    blocked,
    key_finding,
    locks_phrase,
    observed_locks,
    partition_copies,
)


class ForeignKeyAddedWithoutNotValid(ChangeRule):
    code = "FK701"
    name = "foreign-key-added-without-not-valid"
    default_severity = Severity.WARNING

    def review(self, change: Change) -> Iterator[Located]:
        replay = change.replay
        for statement in replay.statements:
            for fk in statement.added_foreign_keys():
                if fk.table not in replay.pre or not fk.validated or fk.parent:
                    continue  # a partition's copy: judged with the partitioned table's key
                copies = partition_copies(statement.after.foreign_keys, fk)
                read = [t for t in (fk.table, *(c.table for c in copies)) if statement.scanned(t)]
                if not read:
                    continue  # a new column's key: nothing to check
                child, parent = replay.name(fk.table), replay.name(fk.referenced)
                held = statement.held_after(fk.table)
                by_table = {fk.table: held}
                scanned = (
                    f"{child} holding {locks_phrase(held)} on it"
                    if read == [fk.table]
                    else f"{', '.join(map(replay.name, read))} holding {locks_phrase(held)} on "
                    f"{child}"
                )
                message = (
                    f"adds {fk.name} to {child}, which existed before, and validates it at once: "
                    f"PostgreSQL read all of {scanned}"
                )
                if fk.referenced in replay.pre and fk.referenced != fk.table:
                    on_parent = statement.held_after(fk.referenced)
                    message += f" and {locks_phrase(on_parent)} on {parent}"
                    held = held | on_parent
                    by_table[fk.referenced] = on_parent
                message += " (observed in pg_locks)"
                if held & BLOCKS_WRITES:
                    message += (
                        f", blocking {blocked(replay, by_table)} until the migration's "
                        "transaction ends"
                    )
                message += "; add it NOT VALID, then VALIDATE CONSTRAINT in a later migration"
                # ACCESS EXCLUSIVE taken by this statement: it did more than add the key (ADD
                # COLUMN ... DEFAULT ... REFERENCES), and the rewrite replaces the key alone.
                altered = "AccessExclusiveLock" in statement.acquired(fk.table)
                if altered:
                    message += (
                        f" (the statement also altered {child}: keep that part, without the key)"
                    )
                definition = statement.definitions.get(fk.oid)
                suggestion = (
                    _rewrite(
                        *replay.names[fk.table], fk.name, definition.definition, altered=altered
                    )
                    if definition
                    else None
                )
                if copies and _major(change) < 18:  # NOT VALID on a partitioned table: 18+
                    message += (
                        f" (before PostgreSQL 18: to each partition of {child}, then add it to "
                        f"{child}, which takes the partitions' valid keys as they are)"
                    )
                    suggestion = None
                yield key_finding(
                    self,
                    replay,
                    statement,
                    fk,
                    message,
                    columns=definition.columns if definition else (),
                    suggestion=suggestion,
                    details={"locks": observed_locks(replay, statement, fk.table, fk.referenced)},
                )


def _major(change: Change) -> int:
    """The server's major version, as the report of the review names it (`12.22`)."""
    head = change.final.server_version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _rewrite(schema: str, table: str, name: str, definition: str, *, altered: bool) -> str:
    """The key added NOT VALID, then validated (in a later migration: its own transaction).
    `definition` is the key as PostgreSQL prints it (`pg_get_constraintdef`); after the rest of
    the statement when it `altered` the table too."""
    from psycopg import sql

    from fkaudit.fixsql import render

    target, constraint = sql.Identifier(schema, table), sql.Identifier(name)
    add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID").format(
        target, constraint, sql.SQL(definition)
    )
    validate = sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(target, constraint)
    first = "-- after the rest of the statement, without the key:\n" if altered else ""
    return first + render(add) + "\n" + render(validate)
