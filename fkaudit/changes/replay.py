"""Apply the new migrations one statement at a time and record what each one did.

Each file runs as in a session of its own, as the loader runs any file: one session serves
them all, reset with `DISCARD ALL` after each (a new backend for each file would read the
catalogs into its caches again for every observation). A file runs in the transactions its
tool gives it (`transactions`): a wrapped file inside one `BEGIN` ... `COMMIT`; otherwise each
statement on its own, or inside the file's own `BEGIN` ... `COMMIT`. A statement that runs on
its own is put inside a transaction fkaudit opens and commits right after it, which holds the
same locks as autocommit and lets them be read before they are released. A statement
PostgreSQL refuses inside a transaction (`CREATE INDEX CONCURRENTLY`) then runs bare, and its
locks are not observed; inside a transaction the tool opens, the migration fails as written,
and so does the replay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from fkaudit.changes.observe import (
    IndexConstraint,
    KeyDefinition,
    Observed,
    Replay,
    Snapshot,
    begin,
    read_after_bare,
    read_changes,
    roll_back,
    take_snapshot,
)
from fkaudit.changes.transactions import FileTransaction
from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.psqlscript import Connect, CopyIn, Encoding, Script, Statement
from fkaudit.schemafile import SchemaLoader, SqlError, caught_error, error_line
from fkaudit.sqlsource import display_path

_TABLES = """
SELECT c.oid, n.nspname, c.relname
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%'
"""
# Partition copies of a key (conparentid set) are left out: a partitioned table is one table.
_CASCADES = (
    "SELECT confrelid, conrelid FROM pg_catalog.pg_constraint"
    " WHERE contype = 'f' AND confdeltype = 'c' AND conparentid = 0"
)
_DEFINITIONS = """
SELECT c.oid, pg_catalog.pg_get_constraintdef(c.oid),
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
              ORDER BY k.n)
  FROM pg_catalog.pg_constraint c WHERE c.oid = ANY(%s)
"""
# Each added index as PostgreSQL prints it, and the constraint it backs, if any (an FK's
# conindid is the referenced key's index, hence the contype filter; the constraint is looked up
# by its table, which pg_constraint is indexed by).
_INDEXES = """
SELECT x.indexrelid, pg_catalog.pg_get_indexdef(x.indexrelid), c.conname, c.contype::text,
       c.condeferrable, c.condeferred
  FROM pg_catalog.pg_index x
  LEFT JOIN pg_catalog.pg_constraint c
         ON c.conrelid = x.indrelid AND c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')
 WHERE x.indexrelid = ANY(%s)
"""
_OPENS = re.compile(rb"\s*(?:BEGIN|START\s+TRANSACTION)\b(?!\s+ATOMIC)", re.IGNORECASE)
_ENDS = re.compile(
    rb"\s*(?:COMMIT|END|ROLLBACK|ABORT)\b(?!\s+(?:(?:WORK|TRANSACTION)\s+)?(?:TO|PREPARED)\b)",
    re.IGNORECASE,
)
_ROLLS_BACK = re.compile(rb"\s*(?:ROLLBACK|ABORT)\b", re.IGNORECASE)
_IDLE = psycopg.pq.TransactionStatus.IDLE


class ReplayFailed(FkauditError):
    """A statement of a new migration failed; `missing_role` is the role it named that does
    not exist, which the review creates before it starts again (as the loader does for the
    base's files)."""

    def __init__(self, error: SqlError) -> None:
        super().__init__(str(error))
        self.missing_role = error.missing_role


def replay(
    loader: SchemaLoader, scripts: Sequence[Script], transactions: Sequence[FileTransaction]
) -> Replay:
    """Apply `scripts` (the new migrations) to the loader's database, observing each statement."""
    with loader.connect(loader.database) as conn:
        # psycopg forgets its prepared statements (and deallocates them) after every DROP or
        # ALTER: a migration's observations would be prepared over and over.
        conn.prepare_threshold = None
        pre = _tables(conn)
        run = _Run(loader, frozenset(pre))
        for script, how in zip(scripts, transactions, strict=True):
            run.file(conn, script, how)
        names = _tables(conn)
        cascades = tuple((int(p), int(c)) for p, c in conn.execute(_CASCADES).fetchall())
    return Replay(pre, names, tuple(run.observed), cascades)


def _tables(conn: psycopg.Connection[Any]) -> dict[int, tuple[str, str]]:
    return {oid: (schema, name) for oid, schema, name in conn.execute(_TABLES).fetchall()}


class _Run:
    def __init__(self, loader: SchemaLoader, pre: frozenset[int]) -> None:
        self.loader = loader
        self.pre = pre
        # From PostgreSQL 15 on, every read asks for the session's statistics to be reported
        # once it is idle, so that a transaction starts with empty pg_stat_xact_* counters
        # (`begin`); before 15 they are read as it begins, which costs a pass over pg_class.
        self.flushes = loader.major >= 15
        self.observed: list[Observed] = []
        self.transaction = 0
        self.last = Snapshot()
        self.known: frozenset[int] = frozenset()  # the indexes of `pre` tables as it began
        # Whether the keys and indexes of `last` may not be what the session sees: before the
        # first transaction, and after a ROLLBACK took back what the transaction added. A new
        # file's session sees what the last one committed, the database's whole state: nothing
        # else writes to it.
        self.stale = True

    def _begin(self, conn: psycopg.Connection[Any], *, opened: bool = False) -> None:
        """Open a transaction (unless the migration's own BEGIN has, `opened`) and read the
        state it starts from, never assume it: the scans always (`begin`), the keys and indexes
        when `stale`. The indexes that exist now are the ones whose locks count for their
        tables."""
        self.transaction += 1
        if self.stale:
            if not opened:
                conn.execute("BEGIN")
            self.last = take_snapshot(conn, self.pre)
            self.stale = False
        else:
            self.last = begin(conn, self.last, opened=opened, flushed=self.flushes)
        self.known = frozenset(self.last.indexes)

    def file(self, conn: psycopg.Connection[Any], script: Script, how: FileTransaction) -> None:
        """Run `script` in `conn`, end the transaction it leaves open and reset the session
        for the next. The tool's own transaction is committed; one the file began and did not
        end is rolled back, as psql's session (and the loader's) ends it by disconnecting."""
        if how.wrapped:
            self._begin(conn)
        for step in script.steps:
            self._step(conn, script.path, step, how)
        if conn.info.transaction_status != _IDLE:
            conn.execute("COMMIT" if how.wrapped else "ROLLBACK")
            self.stale = self.stale or not how.wrapped
        conn.execute("DISCARD ALL")

    def _step(
        self, conn: psycopg.Connection[Any], path: Path, step: object, how: FileTransaction
    ) -> None:
        if isinstance(step, Connect):
            raise FkauditError(
                f"{path}:{step.line}: \\connect in a new migration: fkaudit reviews migrations "
                "of one database"
            )
        assert isinstance(step, (Statement, CopyIn, Encoding))
        try:
            self._run(conn, path, step, how)
        except psycopg.Error as exc:
            line = (
                step.line
                if isinstance(step, Encoding)
                else error_line(exc, step, conn.info.encoding)
            )
            raise ReplayFailed(caught_error(exc, path, line, self.loader.major)) from None

    def _run(
        self,
        conn: psycopg.Connection[Any],
        path: Path,
        step: Statement | CopyIn | Encoding,
        how: FileTransaction,
    ) -> None:
        if isinstance(step, Statement) and _OPENS.match(step.text):
            opens = conn.info.transaction_status == _IDLE  # else: a warning, nothing opened
            conn.execute(step.text)
            if opens:
                self._begin(conn, opened=True)
            return
        if isinstance(step, Statement) and _ENDS.match(step.text):
            conn.execute(step.text)
            self.stale = self.stale or bool(_ROLLS_BACK.match(step.text))
            return
        if isinstance(step, Encoding):
            self.loader.run_step(conn, step)
            return
        if conn.info.transaction_status != _IDLE:  # the tool's or the file's transaction
            try:
                self.loader.run_step(conn, step)
            except psycopg.errors.ActiveSqlTransaction as exc:
                raise FkauditError(
                    f"{display_path(path)}:{step.line}: {printable(str(exc).strip())}: this "
                    f"migration fails as written ({how.why})"
                ) from None
            self._record(conn, path, step)
            return
        self._begin(conn)  # autocommit's locks, held until fkaudit has read them
        try:
            self.loader.run_step(conn, step)
        except psycopg.errors.ActiveSqlTransaction:
            since = roll_back(conn)
            self.loader.run_step(conn, step)
            self._record(conn, path, step, since=since)
            return
        self._record(conn, path, step, then="COMMIT")

    def _record(
        self,
        conn: psycopg.Connection[Any],
        path: Path,
        step: Statement | CopyIn,
        *,
        then: str = "",
        since: int | None = None,
    ) -> None:
        """Observe `step`, which has just run: in a transaction, which `then` (COMMIT) ends
        right after the read; or bare, outside one, its transactions numbered from `since`
        on. ROLLBACK TO SAVEPOINT releases the locks taken since the savepoint along with what
        they changed: after it, the whole state is read."""
        if since is not None:
            after = read_after_bare(conn, self.last, self.pre, since, flush=self.flushes)
        elif _ROLLS_BACK.match(step.text):
            after = take_snapshot(conn, self.pre, self.known)
        else:
            after = read_changes(conn, self.last, self.pre, self.known, then, flush=self.flushes)
        text = step.text.decode("utf-8", errors="replace")
        observed = Observed(
            path=display_path(path),
            line=step.line,
            text=printable(" ".join(text.split())),
            transaction=self.transaction,
            in_transaction=since is None,
            before=self.last,
            after=after,
        )
        added = [fk.oid for fk in observed.added_foreign_keys()]
        definitions = {
            oid: KeyDefinition(definition, tuple(columns))
            for oid, definition, columns in (
                conn.execute(_DEFINITIONS, [added]).fetchall() if added else ()
            )
        }
        built = [ix.oid for ix in observed.added_indexes()]
        index_rows = conn.execute(_INDEXES, [built]).fetchall() if built else []
        self.observed.append(
            replace(
                observed,
                definitions=definitions,
                index_definitions={row[0]: row[1] for row in index_rows},
                index_constraints={
                    row[0]: IndexConstraint(row[2], row[3], row[4], row[5])
                    for row in index_rows
                    if row[2] is not None
                },
            )
        )
        self.last = after
