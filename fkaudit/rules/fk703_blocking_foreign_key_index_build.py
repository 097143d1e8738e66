"""A migration builds the index of a foreign key on an existing table without CONCURRENTLY.

What it does
    Under review (`check --migrations DIR --new-since FILE`), fires for each statement of the
    new migrations that creates an index on a table that existed before, whose leading columns
    are the columns of a foreign key (one the table has then, or one the new migrations add
    after the index), inside a transaction in which `pg_locks` then showed a lock
    blocking writes on the table (plain `CREATE INDEX` takes SHARE). An index built with
    `CONCURRENTLY` runs outside any transaction and does not fire. The key may come later in
    the same transaction (Prisma and Rails build a new column's index before adding its key).

Why it matters
    A plain `CREATE INDEX` blocks every insert, update and delete on the table for the whole
    build, which on a large table is minutes. The index a foreign key needs (FK101) is usually
    added to a table that is already big and busy.

How to fix
    `CREATE INDEX CONCURRENTLY`, in a migration that runs outside a transaction (Rails:
    `disable_ddl_transaction!` and `algorithm: :concurrently`; Django: `AddIndexConcurrently`
    with `atomic = False`; goose: `-- +goose NO TRANSACTION`; Flyway does it by itself).
    An index built for a constraint (`ADD CONSTRAINT ... UNIQUE`) is built concurrently the
    same way, then attached: `ADD CONSTRAINT name UNIQUE USING INDEX name`, with the
    constraint's DEFERRABLE clause; the suggestion has both statements.
    Partitioned tables cannot build concurrently: build each partition's index concurrently,
    then attach them.

Example
    CREATE INDEX orders_customer_id_idx ON orders (customer_id);               -- fires
    CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);  -- does not fire

Known limits
    Only indexes whose leading columns are a key's columns are judged; other indexes block
    writes just the same, but are not about foreign keys.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.changes.observe import BLOCKS_WRITES, Change, IndexConstraint, Located
from fkaudit.findings import Severity
from fkaudit.rules import ChangeRule
from fkaudit.rules.change_findings import blocked, key_finding, locks_phrase, observed_locks


class BlockingForeignKeyIndexBuild(ChangeRule):
    code = "FK703"
    name = "blocking-foreign-key-index-build"
    default_severity = Severity.WARNING

    def review(self, change: Change) -> Iterator[Located]:
        replay = change.replay
        # The keys at the end too: an index built first and its key added after it (the usual
        # order when the key is added NOT VALID) is that key's index all the same.
        final = replay.statements[-1].after.foreign_keys if replay.statements else {}
        for statement in replay.statements:
            added = statement.added_indexes()
            if not statement.in_transaction or not added:
                continue  # CONCURRENTLY: refused inside a transaction, so run bare
            known = {**final, **statement.after.foreign_keys}
            built_on = {index.table for index in added}
            for index in added:
                if index.table not in replay.pre:
                    continue
                held = statement.held_after(index.table) & BLOCKS_WRITES
                keys = [
                    fk
                    for fk in sorted(known.values(), key=lambda fk: (fk.name, fk.oid))
                    if fk.table == index.table
                    and fk.attnums
                    and set(index.attnums[: len(fk.attnums)]) == set(fk.attnums)
                    # a partition's part of an index built on the partitioned table: judged there
                    and not (fk.parent in known and known[fk.parent].table in built_on)
                ]
                if not held or not keys:
                    continue
                table = replay.name(index.table)
                definition = statement.index_definitions.get(index.oid)
                constraint = statement.index_constraints.get(index.oid)
                fix = "build it CONCURRENTLY in a migration that runs outside a transaction"
                if constraint is not None and constraint.kind in _USING_INDEX:
                    fix += f", then add {constraint.name} USING INDEX (a brief lock, no build)"
                suggestion = _concurrently(definition) if definition else None
                if suggestion is not None and constraint is not None:
                    suggestion = _with_constraint(
                        suggestion, *replay.names[index.table], index.name, constraint
                    )
                yield key_finding(
                    self,
                    replay,
                    statement,
                    keys[0],
                    f"builds index {index.name} for {keys[0].name} on {table}, which existed "
                    f"before, without CONCURRENTLY: {table} was held in {locks_phrase(held)} "
                    f"(observed in pg_locks), blocking {blocked(replay, {index.table: held})} "
                    "for the whole build; " + fix,
                    suggestion=suggestion,
                    details={
                        "index": index.name,
                        "locks": observed_locks(replay, statement, index.table),
                    },
                )


# Constraints that `ALTER TABLE ... ADD CONSTRAINT ... USING INDEX` can attach to an index
# built beforehand (not exclusion constraints).
_USING_INDEX = {"u": "UNIQUE", "p": "PRIMARY KEY"}


def _with_constraint(
    build: str, schema: str, table: str, index: str, constraint: IndexConstraint
) -> str | None:
    """The concurrent build, then the constraint the index was built for, attached to it as
    it was declared (DEFERRABLE, INITIALLY DEFERRED): the index alone would leave the table
    without the constraint. None for an exclusion constraint, which cannot be attached."""
    from psycopg import sql

    from fkaudit.fixsql import render

    kind = _USING_INDEX.get(constraint.kind)
    if kind is None:
        return None
    timing = sql.SQL("")
    if constraint.deferrable:
        timing = sql.SQL(" DEFERRABLE INITIALLY DEFERRED" if constraint.deferred else " DEFERRABLE")
    attach = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {} USING INDEX {}{}").format(
        sql.Identifier(schema, table),
        sql.Identifier(constraint.name),
        sql.SQL(kind),
        sql.Identifier(index),
        timing,
    )
    return build + "\n" + render(attach)


def _concurrently(definition: str) -> str | None:
    """The index's definition as PostgreSQL prints it (`pg_get_indexdef`), built concurrently:
    the keyword goes after `INDEX`, before the server-quoted name."""
    from fkaudit.escape import printable_sql

    head, found, rest = definition.partition(" INDEX ")
    if not found or head not in ("CREATE", "CREATE UNIQUE") or " ON ONLY " in rest:
        return None  # ON ONLY: a partitioned table's, which cannot be built concurrently
    return printable_sql(f"{head} INDEX CONCURRENTLY {rest};")
