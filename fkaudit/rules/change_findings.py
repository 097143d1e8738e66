"""What the FK7xx rules share: findings about a key or a table of a replayed change, and how the
locks they observed read in a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fkaudit.changes.observe import (
    ForeignKeyState,
    Located,
    Observed,
    Replay,
    spoken,
    strongest,
)
from fkaudit.findings import Finding, Severity


def locks_phrase(modes: frozenset[str]) -> str:
    """`SHARE ROW EXCLUSIVE` (the strongest of the modes held), or `no lock` when none was."""
    mode = strongest(modes)
    return spoken(mode) if mode else "no lock"


def blocked(replay: Replay, held: Mapping[int, frozenset[str]]) -> str:
    """What the locks `held` (by table) block: `writes`, and the reads of each table held in
    ACCESS EXCLUSIVE (which an earlier statement of the same transaction often took: ADD
    COLUMN, DROP CONSTRAINT), since even a SELECT waits for those."""
    tables = sorted(replay.name(t) for t, modes in held.items() if "AccessExclusiveLock" in modes)
    return "writes" + (f" (and reads of {', '.join(tables)})" if tables else "")


def key_finding(
    rule: Any,
    replay: Replay,
    statement: Observed,
    fk: ForeignKeyState,
    message: str,
    *,
    columns: tuple[str, ...] = (),
    suggestion: str | None = None,
    severity: Severity | None = None,
    details: Mapping[str, Any] | None = None,
) -> Located:
    """A finding about foreign key `fk` of a change, at `statement`, whose file and line the
    message starts with (the table shows no other location)."""
    schema, table = replay.names.get(fk.table) or replay.pre.get(fk.table) or ("?", "?")
    finding = Finding(
        code=rule.code,
        name=rule.name,
        severity=severity or rule.severity,
        schema=schema,
        table=table,
        constraint=fk.name,
        columns=columns,
        message=f"{statement.path}:{statement.line}: {message}",
        suggestion=suggestion,
        details=dict(details or {}),
    )
    return Located(finding, statement.path, statement.line)


def observed_locks(replay: Replay, statement: Observed, *tables: int) -> dict[str, list[str]]:
    """Details: the lock modes held on each table after the statement, as pg_locks names them
    (tables that did not exist before the change are not observed)."""
    return {
        replay.name(table): sorted(statement.held_after(table))
        for table in tables
        if table in replay.pre
    }


def partition_copies(
    keys: Mapping[int, ForeignKeyState], fk: ForeignKeyState
) -> list[ForeignKeyState]:
    """The copies PostgreSQL made of `fk` on the partitions of its table (and of theirs), among
    `keys`: adding a key to a partitioned table adds one to each partition, and it is those
    that are checked row by row."""
    found: list[ForeignKeyState] = []
    todo = [fk.oid]
    while todo:
        oid = todo.pop()
        for key in keys.values():
            if key.parent == oid:
                found.append(key)
                todo.append(key.oid)
    return sorted(found, key=lambda key: (key.name, key.table))
