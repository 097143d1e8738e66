"""Ground truth for FK101/FK102: ask the planner how it runs the RI lookup.

For a foreign key, prepare the query PostgreSQL's RI trigger runs on the referencing table when a
parent row is deleted — `SELECT 1 FROM [ONLY] child x WHERE col1 = $1 … FOR KEY SHARE OF x`, with
parameters typed as the referenced columns (so a cast-forcing type pair casts the child column
exactly as the trigger does) — and EXPLAIN its generic plan with sequential scans disabled. Each
scanned table's verdict is read off the plan:

- a Seq Scan, or an index scan whose conditions do not constrain the index's leading column:
  not indexed;
- an index scan whose equality conditions cover the index's leading key columns: the FK columns
  among that prefix are "searched" — all of them: indexed; some: partially indexed.

BRIN scans are lossy range scans, not lookups, and count as not indexed (docs/design.md §3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from fkaudit.catalog.coverage import Coverage
from fkaudit.catalog.model import Catalog, ForeignKey

_INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
_LEAF_NODES = _INDEX_NODES | {"Seq Scan"}


def _scan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if plan.get("Node Type") in _LEAF_NODES:
        yield plan
    for child in plan.get("Plans", []):
        yield from _scan_nodes(child)


def _equality_columns(condition: str) -> set[str]:
    """Column names compared for equality with a parameter in an Index Cond."""
    # A binary-compatible relabel prints as `(col)::text` and still searches the index.
    column = r'(?:\w+\.)?("(?:[^"]|"")+"|\w+)'
    operand = rf"(?:{column}|\({column}\)::[\w ]+)"
    found = set()
    for pattern in (rf"\({operand} = \$\d+\)", rf"\(\$\d+ = {operand}\)"):
        for match in re.finditer(pattern, condition):
            found.add(match.group(1) or match.group(2))
    return {name[1:-1].replace('""', '"') if name.startswith('"') else name for name in found}


def _index_key_columns(
    conn: psycopg.Connection[Any], index: str, schema: str
) -> tuple[str, list[str]]:
    row = conn.execute(
        """
        SELECT am.amname, array(
            SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(attnum, n)
            LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            ORDER BY k.n)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = %s AND n.nspname = %s
        """,
        (index, schema),
    ).fetchone()
    assert row is not None, index
    return row[0], [name or "" for name in row[1]]


def planner_verdict(conn: psycopg.Connection[Any], catalog: Catalog, fk: ForeignKey) -> Coverage:
    child = catalog.table(fk.table_oid)
    parent = catalog.table(fk.ref_table_oid)
    columns = [child.column(n).name for n in fk.attnums]
    types = [parent.column(n).type_name for n in fk.ref_attnums]
    conditions = sql.SQL(" AND ").join(
        sql.SQL("x.{} = ${}").format(sql.Identifier(c), sql.SQL(str(i)))
        for i, c in enumerate(columns, start=1)
    )
    query = sql.SQL("SELECT 1 FROM {only}{table} x WHERE {cond} FOR KEY SHARE OF x").format(
        only=sql.SQL("" if child.is_partitioned else "ONLY "),
        table=sql.Identifier(child.schema, child.name),
        cond=conditions,
    )
    # Cheap plans on tiny tables tie, and the planner may pick an index that searches a
    # non-leading column. For a plain table, the verdict is the best over its indexes: drop
    # the index a weaker plan used (rolled back afterwards) and plan again.
    best = Coverage.NONE
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        # EXECUTE with NULLs would let run-time pruning drop leaves: keep every one in the plan.
        conn.execute("SET LOCAL enable_partition_pruning = off")
        while True:
            plan = _generic_plan(conn, query, types)
            verdict, used = _plan_verdict(conn, plan, child.schema, columns)
            best = max(best, verdict)
            if best is Coverage.FULL or child.is_partitioned or used is None:
                return best
            try:
                with conn.transaction():
                    conn.execute(
                        sql.SQL("DROP INDEX {}").format(sql.Identifier(child.schema, used))
                    )
            except psycopg.errors.DependentObjectsStillExist:
                return best  # a constraint's index: it stays, and so does the plan


def _generic_plan(
    conn: psycopg.Connection[Any], query: sql.Composable, types: list[str]
) -> dict[str, Any]:
    conn.execute(
        sql.SQL("PREPARE ri_probe ({}) AS {}").format(
            sql.SQL(", ").join(sql.SQL(t) for t in types), query
        )
    )
    try:
        nulls = sql.SQL(", ").join(sql.SQL("NULL") for _ in types)
        row = conn.execute(
            sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE ri_probe ({})").format(nulls)
        ).fetchone()
    finally:
        conn.execute("DEALLOCATE ri_probe")
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def _plan_verdict(
    conn: psycopg.Connection[Any], plan: dict[str, Any], schema: str, columns: list[str]
) -> tuple[Coverage, str | None]:
    """The worst verdict over the plan's scans, and the index of a single-scan plan."""
    verdicts = []
    used = None
    for node in _scan_nodes(plan):
        if node["Node Type"] == "Seq Scan":
            verdicts.append(Coverage.NONE)
            continue
        used = node["Index Name"]
        method, keys = _index_key_columns(conn, used, schema)
        if method == "brin":
            verdicts.append(Coverage.NONE)
            continue
        equal = _equality_columns(node.get("Index Cond", ""))
        if method == "btree":
            searched = []
            for key in keys:
                if key not in equal or key not in columns:
                    break
                searched.append(key)
        else:
            searched = [c for c in columns if c in equal]
        if not searched:
            verdicts.append(Coverage.NONE)
        elif set(searched) >= set(columns):
            verdicts.append(Coverage.FULL)
        else:
            verdicts.append(Coverage.PARTIAL)
    return (min(verdicts) if verdicts else Coverage.NONE), used
