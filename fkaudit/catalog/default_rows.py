"""Does the row a SET DEFAULT action points at exist? Asked of the referenced table itself.

FK302 needs, for each ON DELETE/UPDATE SET DEFAULT key whose written values are constants,
whether the referenced table has a row with those values. That is a read of the table, not of
the catalog, so it can be refused: the role may lack USAGE on the schema or SELECT on the key
columns, row-level security may hide rows (RI checks bypass it, a probe would not), a lock may
not be granted within lock_timeout. A key that could not be probed is returned with the reason
and what would let the probe run, so the run can say the check is incomplete rather than
report the key as fine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from fkaudit.catalog.model import Action, ColumnDefault, ForeignKey, Table
from fkaudit.fixsql import grant_select, grant_usage


@dataclass(frozen=True)
class Access:
    """What the session may do with a referenced table, from the SET DEFAULT catalog query."""

    schema_usage: bool
    select: bool  # SELECT on the table, or on every referenced column
    row_security: bool  # row-level security applies to this role


def access_by_key(rows: Iterable[Sequence[Any]]) -> dict[int, Access]:
    """Fold the per-column rows (fk oid, ..., usage, select on column, RLS active) per key."""
    found: dict[int, Access] = {}
    for fk_oid, *_, usage, select, row_security in rows:
        seen = found.get(fk_oid)
        found[fk_oid] = Access(
            bool(usage), bool(select) and (seen is None or seen.select), bool(row_security)
        )
    return found


def _probe(fk: ForeignKey, parent: Table, defaults: dict[int, ColumnDefault]) -> sql.Composed:
    conditions = sql.SQL(" AND ").join(
        [
            sql.SQL("{} = ({})").format(
                sql.Identifier(parent.column(ref).name),
                _server_literal(defaults[n].expression),
            )
            for n, ref in zip(fk.attnums, fk.ref_attnums, strict=True)
        ]
    )
    return sql.SQL("SELECT {}::pg_catalog.oid, EXISTS (SELECT 1 FROM {}{} WHERE {})").format(
        sql.Literal(fk.oid),
        sql.SQL("" if parent.is_partitioned else "ONLY "),
        sql.Identifier(parent.schema, parent.name),
        conditions,
    )


def _server_literal(expression: Any) -> sql.SQL:
    """A constant as the server deparsed it: trusted SQL text, not user input."""
    return sql.SQL(expression)


def _needs_probe(fk: ForeignKey, defaults: dict[int, ColumnDefault]) -> bool:
    """Only keys where the action writes every column with a non-NULL constant can be checked:
    other columns keep the row's old values, and a NULL skips the check (MATCH SIMPLE)."""
    written = fk.delete_set_attnums if fk.on_delete is Action.SET_DEFAULT else None
    if written and set(written) != set(fk.attnums):
        return False
    return all(
        (d := defaults.get(n)) is not None and d.is_constant and not d.writes_null
        for n in fk.attnums
    )


def _refused(parent: Table, access: Access | None, role: str) -> str | None:
    """Why the probe cannot be run as this role, naming what would let it run; None: it can."""
    if access is None or not access.schema_usage:
        return f"permission denied for schema {parent.schema}: {grant_usage(parent.schema, role)}"
    if not access.select:
        return (
            f"permission denied for table {parent.qualified_name}: {grant_select([parent], role)}"
        )
    if access.row_security:
        return (
            f"row-level security on {parent.qualified_name} would hide rows from the check: "
            "run as its owner or a role with BYPASSRLS"
        )
    return None


def check_default_rows(
    conn: psycopg.Connection[Any],
    fks: Sequence[ForeignKey],
    tables: dict[int, Table],
    defaults: dict[int, tuple[ColumnDefault, ...]],
    access: dict[int, Access],
) -> tuple[dict[int, bool], dict[int, str]]:
    """(whether each probed key's default row exists, why each other key could not be probed).

    The probes run as one statement (an extra round trip only when there are any), in a
    savepoint. If that fails, each runs in a savepoint of its own, so one refused table does
    not leave the others unchecked. A cancelled statement (statement timeout, Ctrl-C) is
    raised: the user asked for those limits.
    """
    probes: dict[int, sql.Composed] = {}
    refused: dict[int, str] = {}
    role = conn.info.user
    for fk in fks:
        column_defaults = {d.attnum: d for d in defaults.get(fk.oid, ())}
        if not _needs_probe(fk, column_defaults):
            continue
        parent = tables[fk.ref_table_oid]
        reason = _refused(parent, access.get(fk.oid), role)
        if reason:
            refused[fk.oid] = reason
        else:
            probes[fk.oid] = _probe(fk, parent, column_defaults)
    if not probes:
        return {}, refused
    try:
        return _run(conn, list(probes.values())), refused
    except psycopg.errors.QueryCanceled:
        raise
    except psycopg.Error:
        pass
    exists: dict[int, bool] = {}
    for oid, probe in probes.items():
        try:
            exists.update(_run(conn, [probe]))
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.Error as exc:
            parent = tables[next(f for f in fks if f.oid == oid).ref_table_oid]
            refused[oid] = _failure(exc, parent, role)
    return exists, refused


def _run(conn: psycopg.Connection[Any], probes: list[sql.Composed]) -> dict[int, bool]:
    with conn.transaction():
        rows = conn.execute(sql.SQL(" UNION ALL ").join(probes)).fetchall()
    return {oid: exists for oid, exists in rows}


def _failure(exc: psycopg.Error, parent: Table, role: str) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return (
            f"a lock on {parent.qualified_name} was not granted within lock_timeout "
            "(it is being altered): run again later"
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"{first_line}: {grant_select([parent], role)}"
    return first_line
