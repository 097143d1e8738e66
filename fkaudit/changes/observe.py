"""The snapshot taken after each replayed statement, and what one statement changed.

Everything is read from the server in the statement's own session and transaction, never
derived from the SQL text: the relation locks the session holds (`pg_locks`; a lock on an index
counts for its table), the scans made of each table in this transaction (the
`pg_stat_xact_*` counters) and the indexes of the tables that existed before the new
migrations (`pre`), and every foreign key, with its referenced table and ON DELETE action: a
key between two tables the change creates can close a cycle or lengthen a cascade too (FK705),
and a problem it has (FK704) is placed at the statement that added it.

The whole state is read once (`take_snapshot`); after a statement inside a transaction, only
what it can have changed (`read_changes`): PostgreSQL locks every table whose keys, indexes or
scan counters a statement changes, and keeps the lock to the end of the transaction, so the
keys and indexes of the tables the transaction holds are read again and the rest carried over.
After one run outside a transaction, the catalog rows it wrote (`read_after_bare`). That keeps
a statement's observation to one small query, whatever the size of the schema.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fkaudit.findings import Finding

if TYPE_CHECKING:  # the rules import these types; `fkaudit rules` must not load psycopg
    import psycopg

    from fkaudit.report import Report

# A foreign key as every snapshot reads it (ForeignKeyState), and an index (IndexState).
_KEY = """json_build_array(c.oid::int8, c.conrelid::int8, c.confrelid::int8, c.conname,
                         c.convalidated, c.confdeltype, c.conkey, c.conparentid::int8)"""
_INDEX = """json_build_array(x.indexrelid::int8, x.indrelid::int8, ic.relname,
                           x.indkey::pg_catalog.int2[])"""

# The whole state, in one query. The json_agg() are empty arrays when nothing matches; OIDs are
# cast to int8, which JSON writes as numbers. Locks on the catalogs this query reads are left
# out: `pre` holds user tables only. A lock on an index counts for its table only when the index
# existed as the transaction began (`known`): CREATE INDEX holds ACCESS EXCLUSIVE on the index it
# creates, which no other session can see before the commit, while the table is held in SHARE.
_SNAPSHOT = f"""
SELECT
  (SELECT coalesce(json_agg(json_build_array(coalesce(i.indrelid, l.relation)::int8, l.mode)), '[]')
     FROM pg_catalog.pg_locks l
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = l.relation
    WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
      AND (i.indexrelid IS NULL OR i.indexrelid = ANY(%(known)s))
      AND coalesce(i.indrelid, l.relation) = ANY(%(pre)s)),
  (SELECT coalesce(json_agg(json_build_array(s.relid::int8, s.seq_scan + coalesce(s.idx_scan, 0))),
                   '[]')
     FROM pg_catalog.pg_stat_xact_user_tables s WHERE s.relid = ANY(%(pre)s)),
  (SELECT coalesce(json_agg({_KEY}), '[]')
     FROM pg_catalog.pg_constraint c
    WHERE c.contype = 'f'),
  (SELECT coalesce(json_agg({_INDEX}), '[]')
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
    WHERE x.indrelid = ANY(%(pre)s))
"""

# The first OID of user objects (FirstNormalObjectId): locks on the catalogs that a query reads
# are below it, and so are the shared catalogs', which carry no database.
_FIRST_USER_OID = 16384

# What a statement inside a transaction can have changed, in one query without parameters (so it
# can share a round trip with the COMMIT that follows it): the relation locks this session holds,
# each with the table of the index it is when it is one, and for the tables held (`touched`), the
# scan counters (the table's and its indexes', as pg_stat_xact_user_tables adds them), their
# foreign keys and their indexes. A key is read with its referencing table: whatever adds,
# drops, validates or alters one locks that table (a DROP ... CASCADE of the referenced table
# or column too, as it drops the key), and pg_constraint is indexed by it.
_CHANGES = f"""
WITH held AS (
  SELECT l.relation AS rel, l.mode, i.indrelid AS index_of
    FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = l.relation
   WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
     AND l.relation >= {_FIRST_USER_OID}
), touched AS (SELECT DISTINCT coalesce(index_of, rel) AS rel FROM held)
SELECT
  (SELECT coalesce(json_agg(json_build_array(rel::int8, mode, index_of::int8)), '[]') FROM held),
  (SELECT coalesce(json_agg(json_build_array(
            t.rel::int8,
            pg_catalog.pg_stat_get_xact_numscans(t.rel) + coalesce(
              (SELECT sum(pg_catalog.pg_stat_get_xact_numscans(x.indexrelid))
                 FROM pg_catalog.pg_index x WHERE x.indrelid = t.rel), 0))), '[]')
     FROM touched t),
  (SELECT coalesce(json_agg({_KEY}), '[]')
     FROM pg_catalog.pg_constraint c
    WHERE c.contype = 'f' AND c.conrelid IN (SELECT rel FROM touched)),
  (SELECT coalesce(json_agg({_INDEX}), '[]')
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
    WHERE x.indrelid IN (SELECT rel FROM touched))
"""

# The scans a transaction starts from: PostgreSQL keeps a session's earlier scans in the
# pg_stat_xact_* counters until it reports its statistics (idle, at most once a second), so
# they need not be zero. Only the counters that are not are read, by table (an index's count
# for its table). Without parameters, so that it shares a round trip with the BEGIN.
_PENDING_SCANS = f"""
SELECT coalesce(json_agg(json_build_array(s.rel::int8, s.scans)), '[]') FROM (
  SELECT coalesce(x.indrelid, c.oid) AS rel, sum(pg_catalog.pg_stat_get_xact_numscans(c.oid))
         AS scans
    FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid
   WHERE c.oid >= {_FIRST_USER_OID} AND pg_catalog.pg_stat_get_xact_numscans(c.oid) > 0
   GROUP BY 1) s
"""

# The first transaction ID not yet given out: every transaction of a statement run after this
# is read has an ID at least as high (`read_after_bare`).
_NEXT_XID = "SELECT pg_catalog.txid_snapshot_xmax(pg_catalog.txid_current_snapshot()) % 4294967296"

# After a statement that ran outside a transaction (CREATE INDEX CONCURRENTLY, which holds no
# lock once it has returned): the rows it created or changed, those whose catalog row (xmin) was
# written by a transaction from `since` on (no older than it: `age`, which a frozen row's is not),
# and how many keys and indexes there are, which says whether it removed any. The throwaway
# cluster is new, so its transaction IDs do not wrap.
_WRITTEN_SINCE = f"""
SELECT
  (SELECT count(*) FROM pg_catalog.pg_constraint c WHERE c.contype = 'f'),
  (SELECT coalesce(json_agg({_KEY}), '[]')
     FROM pg_catalog.pg_constraint c
    WHERE c.contype = 'f' AND pg_catalog.age(c.xmin) <= s.age),
  (SELECT count(*) FROM pg_catalog.pg_index x WHERE x.indrelid = ANY(%(pre)s)),
  (SELECT coalesce(json_agg({_INDEX}), '[]')
     FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
    WHERE x.indrelid = ANY(%(pre)s)
      AND (pg_catalog.age(x.xmin) <= s.age OR pg_catalog.age(ic.xmin) <= s.age))
  FROM (SELECT pg_catalog.age(%(since)s::text::pg_catalog.xid) AS age) s
"""


def _flushing(query: str) -> str:
    """`query` that also asks the server to report the session's statistics as soon as it is
    idle outside a transaction (PostgreSQL 15 on), which empties its pg_stat_xact_* counters."""
    return f"SELECT q.*, pg_catalog.pg_stat_force_next_flush() FROM ({query}) q"


_CHANGES_FLUSHING = _flushing(_CHANGES)
_WRITTEN_SINCE_FLUSHING = _flushing(_WRITTEN_SINCE)

# PostgreSQL's table lock modes, weakest first (as pg_locks spells them).
LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
# Modes that conflict with RowExclusiveLock: while one is held, nobody writes the table.
BLOCKS_WRITES = frozenset(LOCK_MODES[4:])


def strongest(modes: frozenset[str]) -> str:
    """The strongest of `modes` (by PostgreSQL's order), or "" for none."""
    known = [mode for mode in modes if mode in LOCK_MODES]
    return max(known, key=LOCK_MODES.index) if known else ""


def spoken(mode: str) -> str:
    """`ShareRowExclusiveLock` as the documentation writes it: SHARE ROW EXCLUSIVE."""
    words: list[str] = []
    for char in mode.removesuffix("Lock"):
        if char.isupper() and words:
            words.append(" ")
        words.append(char.upper())
    return "".join(words)


@dataclass(frozen=True)
class KeyDefinition:
    """An added foreign key as PostgreSQL prints it (`pg_get_constraintdef`), and its columns."""

    definition: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class IndexConstraint:
    """The constraint an added index was built for (`ADD CONSTRAINT ... UNIQUE`): the index
    alone, built concurrently, would not restore it."""

    name: str
    kind: str  # pg_constraint.contype: p (primary key), u (unique), x (exclusion)
    deferrable: bool
    deferred: bool


@dataclass(frozen=True)
class ForeignKeyState:
    oid: int
    table: int
    referenced: int
    name: str
    validated: bool
    on_delete: str  # confdeltype: a, r, c, n, d
    attnums: tuple[int, ...]
    # The key this one is a partition's copy of (conparentid), else 0: rules judge the key of
    # the partitioned table once, not each copy PostgreSQL made of it.
    parent: int = 0


@dataclass(frozen=True)
class IndexState:
    oid: int
    table: int
    name: str
    attnums: tuple[int, ...]  # 0 for an expression column


@dataclass(frozen=True)
class Snapshot:
    """What the session sees after a statement (empty before the first of a transaction)."""

    locks: Mapping[int, frozenset[str]] = field(default_factory=dict)
    scans: Mapping[int, int] = field(default_factory=dict)
    foreign_keys: Mapping[int, ForeignKeyState] = field(default_factory=dict)
    indexes: Mapping[int, IndexState] = field(default_factory=dict)
    # The same keys and indexes by table (a key by its referencing table), and the tables whose
    # keys or indexes may differ from the snapshot this one was read after (None: any), so that
    # what one statement changed is found without going through the whole schema.
    keys_of: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    indexes_of: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    changed: frozenset[int] | None = None

    def keys_on(self, tables: frozenset[int] | None) -> list[ForeignKeyState]:
        """The keys of `tables` (every key when None), by OID."""
        return _on(self.foreign_keys, self.keys_of, tables)

    def indexes_on(self, tables: frozenset[int] | None) -> list[IndexState]:
        """The indexes of `tables` (every index when None), by OID."""
        return _on(self.indexes, self.indexes_of, tables)


State = TypeVar("State", ForeignKeyState, IndexState)


def _on(
    states: Mapping[int, State],
    of: Mapping[int, tuple[int, ...]],
    tables: frozenset[int] | None,
) -> list[State]:
    chosen = (
        states.values() if tables is None else (states[o] for t in tables for o in of.get(t, ()))
    )
    return sorted(chosen, key=lambda state: state.oid)


def _by_table(states: Iterable[ForeignKeyState | IndexState]) -> dict[int, tuple[int, ...]]:
    grouped: dict[int, list[int]] = {}
    for state in states:
        grouped.setdefault(state.table, []).append(state.oid)
    return {table: tuple(oids) for table, oids in grouped.items()}


def _snapshot(
    foreign_keys: Mapping[int, ForeignKeyState],
    indexes: Mapping[int, IndexState],
    *,
    locks: Mapping[int, frozenset[str]] | None = None,
    scans: Mapping[int, int] | None = None,
) -> Snapshot:
    """A snapshot of keys and indexes read whole: any table may have changed."""
    return Snapshot(
        locks=locks or {},
        scans=scans or {},
        foreign_keys=foreign_keys,
        indexes=indexes,
        keys_of=_by_table(foreign_keys.values()),
        indexes_of=_by_table(indexes.values()),
    )


def _replaced(
    states: Mapping[int, State],
    of: Mapping[int, tuple[int, ...]],
    tables: Iterable[int],
    fresh: Mapping[int, State],
) -> tuple[dict[int, State], dict[int, tuple[int, ...]]]:
    """`states` and `of` with everything of `tables` replaced by `fresh`, all they hold now."""
    merged: dict[int, State] = dict(states)
    grouped: dict[int, tuple[int, ...]] = dict(of)
    for table in tables:
        for oid in grouped.pop(table, ()):
            del merged[oid]
    merged.update(fresh)
    grouped.update(_by_table(fresh.values()))
    return merged, grouped


def _written(
    states: Mapping[int, State], of: Mapping[int, tuple[int, ...]], written: Mapping[int, State]
) -> tuple[dict[int, State], dict[int, tuple[int, ...]]]:
    """`states` and `of` with the rows `written` (new or changed; none removed) put in."""
    merged: dict[int, State] = {**states, **written}
    grouped: dict[int, tuple[int, ...]] = dict(of)
    for oid in written.keys() - states.keys():
        table: int = written[oid].table
        grouped[table] = (*grouped.get(table, ()), oid)
    return merged, grouped


def take_snapshot(
    conn: psycopg.Connection[Any], pre: Collection[int], known: Collection[int] = ()
) -> Snapshot:
    """What the session sees now of the tables `pre`; `known`: the indexes that existed when
    its transaction began (the locks on others are not counted)."""
    row = conn.execute(_SNAPSHOT, {"pre": sorted(pre), "known": sorted(known)}).fetchone()
    assert row is not None
    locks_rows, scan_rows, fk_rows, index_rows = row
    locks: dict[int, set[str]] = {}
    for relation, mode in locks_rows:
        locks.setdefault(relation, set()).add(mode)
    return _snapshot(
        _foreign_keys(fk_rows),
        _indexes(index_rows),
        locks={relation: frozenset(modes) for relation, modes in locks.items()},
        scans={relid: count for relid, count in scan_rows},
    )


def begin(
    conn: psycopg.Connection[Any], last: Snapshot, *, opened: bool = False, flushed: bool = False
) -> Snapshot:
    """Open a transaction (unless the migration's own BEGIN has, `opened`) and the snapshot it
    starts from: `last`'s keys and indexes, no lock, and the scans still counted in the
    session's pg_stat_xact_* counters, read in the same round trip. `flushed`: every read since
    the session was last idle outside a transaction asked for the statistics report
    (`_flushing`), so the counters are empty and need no read."""
    if flushed:
        if not opened:
            conn.execute("BEGIN")
        return _unchanged(last)
    cur = conn.execute(_PENDING_SCANS if opened else f"BEGIN;{_PENDING_SCANS}")
    if not opened:
        cur.nextset()
    row = cur.fetchone()
    assert row is not None
    return _unchanged(last, scans={relid: count for relid, count in row[0]})


def _unchanged(last: Snapshot, scans: Mapping[int, int] | None = None) -> Snapshot:
    """`last`'s keys and indexes, as a transaction starts: no lock, and `scans`."""
    return Snapshot(
        scans=scans or {},
        foreign_keys=last.foreign_keys,
        indexes=last.indexes,
        keys_of=last.keys_of,
        indexes_of=last.indexes_of,
        changed=frozenset(),
    )


def read_changes(
    conn: psycopg.Connection[Any],
    last: Snapshot,
    pre: frozenset[int],
    known: frozenset[int],
    then: str = "",
    *,
    flush: bool = False,
) -> Snapshot:
    """The snapshot after a statement of an open transaction, from `last` (the one before it)
    and what the session now holds; `then` (COMMIT) runs in the same round trip, after the
    read. `pre` and `known` as for `take_snapshot`; `flush`: ask for the statistics report
    (`_flushing`)."""
    query = _CHANGES_FLUSHING if flush else _CHANGES
    row = conn.execute(f"{query};{then}" if then else query).fetchone()
    assert row is not None
    held, scan_rows, fk_rows, index_rows = row[:4]
    locks: dict[int, set[str]] = {}
    touched: set[int] = set()
    for relation, mode, index_of in held:
        table = relation if index_of is None else index_of
        touched.add(table)
        if table in pre and (index_of is None or relation in known):
            locks.setdefault(table, set()).add(mode)
    foreign_keys, keys_of = _replaced(
        last.foreign_keys, last.keys_of, touched, _foreign_keys(fk_rows)
    )
    fresh = {oid: ix for oid, ix in _indexes(index_rows).items() if ix.table in pre}
    indexes, indexes_of = _replaced(last.indexes, last.indexes_of, touched, fresh)
    return Snapshot(
        locks={relation: frozenset(modes) for relation, modes in locks.items()},
        scans={**last.scans, **{relid: n for relid, n in scan_rows if relid in pre}},
        foreign_keys=foreign_keys,
        indexes=indexes,
        keys_of=keys_of,
        indexes_of=indexes_of,
        changed=frozenset(touched),
    )


def roll_back(conn: psycopg.Connection[Any]) -> int:
    """Roll back the open transaction and return the transaction ID that the next statement's
    transactions start from (`read_after_bare`), in one round trip."""
    cur = conn.execute(f"ROLLBACK;{_NEXT_XID}")
    cur.nextset()
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def read_after_bare(
    conn: psycopg.Connection[Any],
    last: Snapshot,
    pre: Collection[int],
    since: int,
    *,
    flush: bool = False,
) -> Snapshot:
    """The keys and indexes after a statement that ran outside a transaction, from `last` (the
    state before it) and the catalog rows written from transaction `since` (`roll_back`, read
    before the statement) on; read whole when it removed some. It holds no lock, and its scans
    are not its transaction's. `flush` as for `read_changes`."""
    query = _WRITTEN_SINCE_FLUSHING if flush else _WRITTEN_SINCE
    row = conn.execute(query, {"pre": sorted(pre), "since": since}).fetchone()
    assert row is not None
    key_count, fk_rows, index_count, index_rows = row[:4]
    written_keys, written_indexes = _foreign_keys(fk_rows), _indexes(index_rows)
    foreign_keys, keys_of = _written(last.foreign_keys, last.keys_of, written_keys)
    indexes, indexes_of = _written(last.indexes, last.indexes_of, written_indexes)
    if len(foreign_keys) != key_count or len(indexes) != index_count:  # some were removed
        whole = take_snapshot(conn, pre)
        return _snapshot(whole.foreign_keys, whole.indexes, scans=last.scans)
    return Snapshot(
        scans=last.scans,
        foreign_keys=foreign_keys,
        indexes=indexes,
        keys_of=keys_of,
        indexes_of=indexes_of,
        changed=frozenset(fk.table for fk in written_keys.values())
        | frozenset(ix.table for ix in written_indexes.values()),
    )


def _foreign_keys(rows: list[list[Any]]) -> dict[int, ForeignKeyState]:
    return {
        r[0]: ForeignKeyState(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6] or ()), r[7])
        for r in rows
    }


def _indexes(rows: list[list[Any]]) -> dict[int, IndexState]:
    return {r[0]: IndexState(r[0], r[1], r[2], tuple(r[3] or ())) for r in rows}


@dataclass(frozen=True)
class Observed:
    """One replayed statement: where it is, how it ran, and the snapshots around it.

    `before` is the snapshot at the start of the statement within its transaction: the previous
    statement's of the same transaction, else empty locks and scans (a transaction starts with
    neither) and the last known keys and indexes.
    """

    path: str
    line: int
    text: str  # the statement, escaped to one line
    transaction: int  # statements of one transaction share the number
    in_transaction: bool  # False: ran bare (CREATE INDEX CONCURRENTLY): no lock was observed
    before: Snapshot
    after: Snapshot
    definitions: Mapping[int, KeyDefinition] = field(default_factory=dict)  # the keys it added
    index_definitions: Mapping[int, str] = field(default_factory=dict)  # the indexes it added
    # the constraints those indexes back, by index OID (none for a plain CREATE INDEX)
    index_constraints: Mapping[int, IndexConstraint] = field(default_factory=dict)

    def acquired(self, table: int) -> frozenset[str]:
        """Lock modes on `table` this statement took that its transaction did not hold yet."""
        return self.after.locks.get(table, frozenset()) - self.before.locks.get(table, frozenset())

    def held_after(self, table: int) -> frozenset[str]:
        return self.after.locks.get(table, frozenset())

    def scanned(self, table: int) -> bool:
        """Whether PostgreSQL read `table` (a sequential or index scan) during the statement."""
        return self.after.scans.get(table, 0) > self.before.scans.get(table, 0)

    def added_foreign_keys(self) -> list[ForeignKeyState]:
        keys = self.after.keys_on(self.after.changed)
        return [fk for fk in keys if fk.oid not in self.before.foreign_keys]

    def dropped_foreign_keys(self) -> list[ForeignKeyState]:
        keys = self.before.keys_on(self.after.changed)
        return [fk for fk in keys if fk.oid not in self.after.foreign_keys]

    def validated_foreign_keys(self) -> list[ForeignKeyState]:
        """Keys that existed NOT VALID before the statement and are valid after it."""
        before = self.before.foreign_keys
        return [
            fk
            for fk in self.after.keys_on(self.after.changed)
            if fk.validated and fk.oid in before and not before[fk.oid].validated
        ]

    def added_indexes(self) -> list[IndexState]:
        indexes = self.after.indexes_on(self.after.changed)
        return [ix for ix in indexes if ix.oid not in self.before.indexes]

    def dropped_indexes(self) -> list[IndexState]:
        indexes = self.before.indexes_on(self.after.changed)
        return [ix for ix in indexes if ix.oid not in self.after.indexes]


@dataclass(frozen=True)
class Replay:
    """The new migrations as they ran: every statement observed, in order."""

    pre: Mapping[int, tuple[str, str]]  # table OID -> (schema, table): the base's tables
    names: Mapping[int, tuple[str, str]]  # table OID -> (schema, table): every table at the end
    statements: tuple[Observed, ...]
    # (referenced table, referencing table) of every ON DELETE CASCADE key at the end
    cascades: tuple[tuple[int, int], ...] = ()

    def name(self, table: int) -> str:
        schema, name = self.names.get(table) or self.pre.get(table) or ("?", str(table))
        return f"{schema}.{name}"

    def transaction_of(self, statement: Observed) -> list[Observed]:
        """The statements of `statement`'s transaction that ran before it (found by identity:
        two statements may observe the same)."""
        position = next(i for i, s in enumerate(self.statements) if s is statement)
        return [s for s in self.statements[:position] if s.transaction == statement.transaction]


@dataclass(frozen=True)
class Located:
    """A finding of a change rule, at the statement that caused it."""

    finding: Finding
    path: str
    line: int


@dataclass(frozen=True)
class Change:
    """What a change rule judges: the replay, and the audits before and after it."""

    replay: Replay
    base: Report
    final: Report
