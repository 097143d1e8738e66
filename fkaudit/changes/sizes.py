"""How big the blocked window of a review's findings is likely to be: `--sizes-from DSN`.

The throwaway server a review replays on has empty tables, so FK701 (a key validated while
writes wait), FK702 (a validation under a lock that blocks writes) and FK703 (an index built
while writes wait) can say which locks were held but not for how long. The time is that of
reading the whole table, so with `--sizes-from` fkaudit reads, from the live database the
migrations are meant for, the size of each table those findings name (matched by schema and
name): `reltuples` (the planner's row estimate, from the last ANALYZE or VACUUM) and
`pg_relation_size` (the table's main fork now; a partitioned table's leaves summed). Each
finding then says it, carries `details["rows"]` and `details["bytes"]`, and the report lists
the largest tables first (`ranked`).

The connection is fkaudit's usual one (`fkaudit.connection`): every transaction READ ONLY,
bounded by `--statement-timeout` and `--lock-timeout`, labelled `fkaudit`; the only query reads
the catalog. `pg_relation_size` takes ACCESS SHARE on the table: when a migration holds a
stronger lock there, the query gives up after the lock timeout and the sizes are read again
from `relpages` (as of the last VACUUM or ANALYZE), which takes no lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from fkaudit.errors import FkauditError, one_line
from fkaudit.findings import Finding

if TYPE_CHECKING:
    import psycopg

# The findings whose blocked window is a read of their table (`Finding.table`) as a whole.
BLOCKING = frozenset({"FK701", "FK702", "FK703"})

# Each wanted table's size: its own, or its leaf partitions' summed. A leaf whose row estimate
# is unknown (never analyzed: reltuples -1 from PostgreSQL 14 on, 0 with 0 pages before) makes
# the total unknown, unless it is empty. `{size}` is the size expression of a leaf `c`.
_SIZES = """
WITH RECURSIVE wanted(nspname, relname) AS (
  SELECT * FROM unnest(%(schemas)s::text[], %(tables)s::text[])
), tree(nspname, relname, oid, relkind) AS (
  SELECT w.nspname, w.relname, c.oid, c.relkind
    FROM wanted w
    JOIN pg_catalog.pg_namespace n ON n.nspname = w.nspname
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.relname
   WHERE c.relkind IN ('r', 'p')
  UNION ALL
  SELECT t.nspname, t.relname, c.oid, c.relkind
    FROM tree t
    JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid
    JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
   WHERE t.relkind = 'p' AND c.relkind IN ('r', 'p')
), leaves AS (
  SELECT t.nspname, t.relname, c.reltuples, c.relpages, {size} AS bytes
    FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid
   WHERE t.relkind = 'r'
)
SELECT nspname, relname,
       CASE WHEN bool_or((reltuples < 0 OR (reltuples = 0 AND relpages = 0)) AND bytes > 0)
            THEN NULL
            ELSE sum(greatest(reltuples, 0))::int8 END,
       coalesce(sum(bytes), 0)::int8
  FROM leaves GROUP BY nspname, relname
"""
# The two size expressions (constants, never names): the main fork's size now, which waits for
# ACCESS SHARE on the table, and the page count of the last VACUUM/ANALYZE, which takes no lock.
SIZES_NOW = _SIZES.replace("{size}", "pg_catalog.pg_relation_size(c.oid)")
SIZES_FROM_PAGES = _SIZES.replace(
    "{size}", "c.relpages::int8 * pg_catalog.current_setting('block_size')::int8"
)


@dataclass(frozen=True)
class TableSize:
    """A live table's size: rows estimated by the planner (None: never analyzed) and bytes."""

    rows: int | None
    bytes: int
    from_pages: bool = False  # bytes from relpages: pg_relation_size waited for a lock


def read_sizes(
    conn: psycopg.Connection[Any], tables: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], TableSize]:
    """The size of each (schema, table) of `tables` that `conn`'s database has.

    `conn` is a `fkaudit.connection.connect()` session (read-only, time-bounded). A lock or
    statement timeout on `pg_relation_size` falls back to `relpages`; any other server error
    is a one-line `FkauditError`."""
    import psycopg

    from fkaudit.connection import transaction

    wanted = sorted(set(tables))
    if not wanted:
        return {}
    params = {"schemas": [s for s, _ in wanted], "tables": [t for _, t in wanted]}
    try:
        try:
            with transaction(conn):
                rows = conn.execute(SIZES_NOW, params).fetchall()
            from_pages = False
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            with transaction(conn):
                rows = conn.execute(SIZES_FROM_PAGES, params).fetchall()
            from_pages = True
    except psycopg.Error as exc:
        raise FkauditError(f"--sizes-from: cannot read the table sizes: {one_line(exc)}") from None
    return {
        (schema, table): TableSize(None if count is None else int(count), int(size), from_pages)
        for schema, table, count, size in rows
    }


def size_text(size: int) -> str:
    """Bytes as `pg_size_pretty` would round them, at most one decimal: `8.0 kB`, `1.2 GB`."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


def _sized(finding: Finding, size: TableSize | None) -> Finding:
    """`finding` (FK701-FK703) saying how much of its table is read while writes wait."""
    table = f"{finding.schema}.{finding.table}"
    if size is None:
        note = f"--sizes-from: that database has no table {table}"
        return replace(finding, message=f"{finding.message}; {note}")
    rows = (
        "an unknown number of rows (never analyzed)"
        if size.rows is None
        else (f"about {size.rows:,} row{'' if size.rows == 1 else 's'}")
    )
    how = " by relpages, pg_relation_size having waited for a lock" if size.from_pages else ""
    note = (
        f"--sizes-from: {table} holds {rows} in {size_text(size.bytes)}{how}, all of it read "
        "while writes wait"
    )
    details = {**finding.details, "rows": size.rows, "bytes": size.bytes}
    return replace(finding, message=f"{finding.message}; {note}", details=details)


def with_sizes(
    findings: Sequence[Finding], sizes: Mapping[tuple[str, str], TableSize]
) -> list[Finding]:
    """The findings with sizes told (FK701-FK703), ranked (`ranked`)."""
    told = [
        _sized(f, sizes.get((f.schema, f.table))) if f.code in BLOCKING else f for f in findings
    ]
    return ranked(told, sizes)


def ranked(
    findings: Sequence[Finding], sizes: Mapping[tuple[str, str], TableSize]
) -> list[Finding]:
    """The largest blocked window first: the tables of FK701-FK703 findings whose size is
    known, by bytes then rows (largest first), each with all its findings in the usual order
    (by object, then rule); then every other finding in the usual order. A table's findings
    stay together, so the table format still shows one block per table."""
    windows: dict[tuple[str, str], tuple[int, int]] = {}
    for finding in findings:
        size = sizes.get((finding.schema, finding.table))
        if finding.code in BLOCKING and size is not None:
            windows[(finding.schema, finding.table)] = (size.bytes, size.rows or 0)

    def key(finding: Finding) -> tuple[int, int, int, tuple[str, str, str, str]]:
        window = windows.get((finding.schema, finding.table))
        if window is None:
            return (1, 0, 0, finding.sort_key())
        return (0, -window[0], -window[1], finding.sort_key())

    return sorted(findings, key=key)
