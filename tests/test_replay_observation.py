"""What the replay carries over between reads is what a whole read of the catalogs sees.

After a statement, the replay reads again only the tables its transaction holds a lock on
(`read_changes`), or after one run bare the catalog rows written since it began
(`read_after_bare`); a transaction starts from the keys and indexes last read (`begin`). Each
test here reviews folders with those three wrapped so that, after each, the session's whole
state is read too (`take_snapshot`, what every statement once cost) and must be the same: keys,
indexes, the locks counted and the scans made. The folders are the review cases, every tool's
fixture, and statements chosen to change keys and indexes in the less obvious ways: by
dropping or retyping what a key references, through partitions, savepoints, an exception
block, and statements that run outside a transaction. The server is the embedded one, or
FKAUDIT_TEST_PG_BINDIR's when the matrix sets it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from textwrap import dedent
from typing import Any

import psycopg
import pytest

from fkaudit.changes import observe
from fkaudit.changes.observe import Observed, Snapshot, take_snapshot
from tests.review_cases import REVIEW_CASES
from tests.test_review_rules import review_case, review_folder, write_folder
from tests.test_review_tools import FIXTURE_CASES, FIXTURES, review

REPLAY = "fkaudit.changes.replay"  # the module whose reads are checked

BASE = """
CREATE TABLE parents (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents,
                       parent_code text);
CREATE TABLE others (id int PRIMARY KEY, parent_id int);
CREATE INDEX others_parent_id_idx ON others (parent_id);
CREATE TABLE events (id int, parent_id int REFERENCES parents, at date NOT NULL)
  PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE regions (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE regions_low PARTITION OF regions FOR VALUES FROM (0) TO (100);
CREATE TABLE sites (id int PRIMARY KEY, region_id int REFERENCES regions);
INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 50) g;
INSERT INTO children SELECT g, g, 'p' || g FROM generate_series(1, 50) g;
"""

# Each statement in a transaction of its own (plain SQL, psql's way), so that a later one
# starts from what an earlier one left.
TRICKY = """
CREATE INDEX CONCURRENTLY children_parent_id_idx ON children (parent_id);
ALTER TABLE children ADD CONSTRAINT children_code_fk FOREIGN KEY (parent_code)
  REFERENCES parents (code) NOT VALID;
ALTER INDEX children_parent_id_idx RENAME TO children_parent_idx;
ALTER TABLE children RENAME CONSTRAINT children_code_fk TO children_parent_code_fk;
REINDEX INDEX CONCURRENTLY children_parent_idx;
DROP INDEX CONCURRENTLY others_parent_id_idx;
ALTER TABLE parents ALTER COLUMN code TYPE varchar(20);
ALTER TABLE parents DROP COLUMN code CASCADE;
BEGIN;
SAVEPOINT before_key;
ALTER TABLE others ADD CONSTRAINT others_parent_fk FOREIGN KEY (parent_id) REFERENCES parents;
CREATE INDEX others_parent_idx ON others (parent_id);
ROLLBACK TO SAVEPOINT before_key;
ALTER TABLE others ADD CONSTRAINT others_parent_fk FOREIGN KEY (parent_id)
  REFERENCES parents NOT VALID;
COMMIT;
DO $$
BEGIN
  ALTER TABLE others DROP CONSTRAINT others_parent_fk;
  RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN
  NULL;
END
$$;
ALTER TABLE others VALIDATE CONSTRAINT others_parent_fk;
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE events DETACH PARTITION events_2024;
CREATE TABLE regions_high PARTITION OF regions FOR VALUES FROM (100) TO (200);
ALTER TABLE regions DETACH PARTITION regions_low;
CREATE SCHEMA archive;
ALTER TABLE events_2024 SET SCHEMA archive;
ALTER TABLE sites ALTER CONSTRAINT sites_region_id_fkey DEFERRABLE;
UPDATE children SET parent_id = NULL WHERE id > 40;
"""

# Statements of PostgreSQL 14 on: a detached partition's copy of a key becomes its own, and a
# referenced one's copies go.
DETACH_CONCURRENTLY = """
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE events DETACH PARTITION events_2026 CONCURRENTLY;
CREATE TABLE regions_top PARTITION OF regions FOR VALUES FROM (200) TO (300);
ALTER TABLE regions DETACH PARTITION regions_top CONCURRENTLY;
"""

LAST = "DROP TABLE parents CASCADE;\n"


class Oracle:
    """The replay's reads, each followed by a whole read of the same session, compared."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.compared = 0
        self.differences: list[str] = []
        self.pre: Collection[
            int
        ] = ()  # the base's tables, as the replay's first whole read got them
        read_changes, read_after_bare, begin = (
            observe.read_changes,
            observe.read_after_bare,
            observe.begin,
        )

        def whole(
            conn: psycopg.Connection[Any], pre: Collection[int], known: Collection[int] = ()
        ) -> Snapshot:
            self.pre = pre
            return take_snapshot(conn, pre, known)

        def changes(
            conn: psycopg.Connection[Any],
            last: Snapshot,
            pre: frozenset[int],
            known: frozenset[int],
            then: str = "",
            *,
            flush: bool = False,
        ) -> Snapshot:
            ours = read_changes(conn, last, pre, known, flush=flush)
            whole = take_snapshot(conn, pre, known)
            self.compare("after a statement", ours, whole, last=last)
            if then:
                conn.execute(then)
            return ours

        def after_bare(
            conn: psycopg.Connection[Any],
            last: Snapshot,
            pre: Collection[int],
            since: int,
            *,
            flush: bool = False,
        ) -> Snapshot:
            ours = read_after_bare(conn, last, pre, since, flush=flush)
            whole = take_snapshot(conn, pre)
            self.compare("after a bare statement", ours, whole, last=last, scans=False)
            return ours

        def started(
            conn: psycopg.Connection[Any],
            last: Snapshot,
            *,
            opened: bool = False,
            flushed: bool = False,
        ) -> Snapshot:
            ours = begin(conn, last, opened=opened, flushed=flushed)
            self.compare("at a transaction's start", ours, take_snapshot(conn, self.pre))
            return ours

        monkeypatch.setattr(f"{REPLAY}.take_snapshot", whole)
        monkeypatch.setattr(f"{REPLAY}.read_changes", changes)
        monkeypatch.setattr(f"{REPLAY}.read_after_bare", after_bare)
        monkeypatch.setattr(f"{REPLAY}.begin", started)

    def compare(
        self,
        where: str,
        ours: Snapshot,
        whole: Snapshot,
        *,
        last: Snapshot | None = None,
        scans: bool = True,
    ) -> None:
        """`ours` against `whole`; with `last`, the snapshot before the statement, also what a
        statement is said to have changed (found through `Snapshot.changed`) against the
        difference of the whole reads (`whole.changed` is None: anything may differ)."""
        self.compared += 1
        parts: list[tuple[str, object, object]] = [
            ("keys", ours.foreign_keys, whole.foreign_keys),
            ("indexes", ours.indexes, whole.indexes),
            ("locks", ours.locks, whole.locks),
            ("keys by table", _grouped(ours.keys_of), _grouped(whole.keys_of)),
            ("indexes by table", _grouped(ours.indexes_of), _grouped(whole.indexes_of)),
        ]
        if scans:
            tables = set(whole.scans)
            parts.append(
                (
                    "scans",
                    {t: n for t, n in ours.scans.items() if n and t in tables},
                    {t: n for t, n in whole.scans.items() if n},
                )
            )
        if last is not None:
            parts.append(("changes", _changes(last, ours), _changes(last, whole)))
        for what, mine, theirs in parts:
            if mine != theirs:
                self.differences.append(f"{where}: {what}: read {mine}, whole {theirs}")


def _grouped(of: Mapping[int, tuple[int, ...]]) -> dict[int, frozenset[int]]:
    return {table: frozenset(oids) for table, oids in of.items() if oids}


def _changes(before: Snapshot, after: Snapshot) -> list[list[int]]:
    """What a statement between `before` and `after` added, dropped and validated."""
    statement = Observed("", 0, "", 0, True, before, after)
    return [
        [state.oid for state in states]
        for states in (
            statement.added_foreign_keys(),
            statement.dropped_foreign_keys(),
            statement.validated_foreign_keys(),
            statement.added_indexes(),
            statement.dropped_indexes(),
        )
    ]


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> Iterator[Oracle]:
    watching = Oracle(monkeypatch)
    yield watching
    assert watching.differences == [], "\n".join(watching.differences)


def test_tricky_statements(oracle: Oracle, tmp_path: Path, server_version: int) -> None:
    tricky = TRICKY + (DETACH_CONCURRENTLY if server_version >= 140000 else "") + LAST
    write_folder(tmp_path, [("001_base.sql", dedent(BASE)), ("002_change.sql", tricky)])
    review_folder(tmp_path, "002_change.sql")
    assert oracle.compared > 30


def test_review_cases(oracle: Oracle, tmp_path: Path) -> None:
    for n, case in enumerate(REVIEW_CASES):
        (tmp_path / str(n)).mkdir()
        review_case(tmp_path / str(n), case)
    assert oracle.compared > 2 * len(REVIEW_CASES)


def test_tool_fixtures(oracle: Oracle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    for fixture in FIXTURE_CASES:
        monkeypatch.chdir(FIXTURES / fixture.tool)
        review("--migrations", fixture.migrations, "--new-since", fixture.unsafe)
    assert oracle.compared > 2 * len(FIXTURE_CASES)
