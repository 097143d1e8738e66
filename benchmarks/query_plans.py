"""Check that every catalog query's plan is linear in the schema size, by running it.

Each query of `fkaudit.catalog.queries` (both batches, and FK502's) is run under
`EXPLAIN (ANALYZE, FORMAT JSON)` and its plan tree walked. Two shapes make a catalog query
super-linear, and both are looked for by what the executor really did, not by the plan's
estimates:

* a correlated subplan: a SubPlan run once per outer row, not hashed (PostgreSQL 12-16 fall back
  to this when the hashed form would outgrow work_mem);
* a join that can only filter: a nested loop whose rows are mostly thrown away by its join
  filter, or whose inner side re-reads rows it then rejects, loop after loop.

The figure that sums both up is the number of rows the executor touched (returned or removed
by a filter, times the loops), per foreign key: a linear query touches a bounded number of
catalog rows per key, a quadratic one a number that grows with the schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

# A subplan executed more often than this is a per-row subplan, not a one-off.
SUBPLAN_LOOPS_LIMIT = 1000
# A nested loop may reject this many rows per row it returns before it counts as filtering.
JOIN_FILTER_RATIO = 50
# Rows touched per foreign key above which a query is not linear (linear ones stay under ~60).
ROWS_PER_FK_LIMIT = 400


@dataclass
class QueryPlan:
    """What one query's execution did."""

    name: str
    seconds: float
    rows_touched: int
    problems: list[str] = field(default_factory=list)


def _nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _touched(node: Mapping[str, Any]) -> int:
    loops = int(node.get("Actual Loops", 0))
    per_loop = (
        float(node.get("Actual Rows", 0))
        + float(node.get("Rows Removed by Filter", 0))
        + float(node.get("Rows Removed by Join Filter", 0))
        + float(node.get("Rows Removed by Index Recheck", 0))
    )
    return int(per_loop * loops)


def plan_problems(root: Mapping[str, Any]) -> list[str]:
    """The super-linear shapes found in an executed plan tree."""
    problems = []
    for node in _nodes(root):
        loops = int(node.get("Actual Loops", 0))
        kind = node.get("Node Type", "?")
        if node.get("Parent Relationship") == "SubPlan" and loops > SUBPLAN_LOOPS_LIMIT:
            name = node.get("Subplan Name", "SubPlan")
            if not str(name).startswith("hashed"):
                problems.append(f"correlated {name} run {loops} times ({kind})")
        removed = float(node.get("Rows Removed by Join Filter", 0)) * loops
        returned = float(node.get("Actual Rows", 0)) * loops
        if removed > JOIN_FILTER_RATIO * max(returned, SUBPLAN_LOOPS_LIMIT):
            problems.append(
                f"{kind} removes {int(removed)} rows by its join filter for {int(returned)} kept"
            )
        if kind != "Nested Loop":
            continue
        inner = node.get("Plans", [{}, {}])[1]
        inner_loops = int(inner.get("Actual Loops", 0))
        # Rows a scan rejects are reported per loop: a bounded few per loop is an index
        # lookup's residue, a number that grows with the schema is a filter doing a join's work.
        rejected_per_loop = float(inner.get("Rows Removed by Filter", 0))
        if inner_loops > SUBPLAN_LOOPS_LIMIT and rejected_per_loop > SUBPLAN_LOOPS_LIMIT:
            problems.append(
                f"nested loop's inner {inner.get('Node Type')} filters out "
                f"{rejected_per_loop:.0f} rows per loop over {inner_loops} loops"
            )
    return problems


def explain(
    conn: psycopg.Connection[Any], name: str, query: str, params: Mapping[str, Any] | None
) -> QueryPlan:
    """Run one query under EXPLAIN ANALYZE (in the caller's transaction) and judge its plan."""
    cursor = psycopg.ClientCursor(conn)
    started = time.perf_counter()
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query, params)
    seconds = time.perf_counter() - started
    row = cursor.fetchone()
    assert row is not None
    root = row[0][0]["Plan"]
    touched = sum(_touched(node) for node in _nodes(root))
    return QueryPlan(name, seconds, touched, plan_problems(root))


def explain_all(
    dsn: str,
    queries: Sequence[tuple[str, str, Mapping[str, Any] | None]],
    foreign_keys: int,
) -> list[QueryPlan]:
    """Every query's plan, in one read-only transaction, with the rows-per-key check added."""
    plans = []
    with psycopg.connect(dsn) as conn:
        conn.read_only = True
        for name, query, params in queries:
            plan = explain(conn, name, query, params)
            per_fk = plan.rows_touched / max(foreign_keys, 1)
            if foreign_keys >= 1000 and per_fk > ROWS_PER_FK_LIMIT:
                plan.problems.append(f"touches {per_fk:.0f} rows per foreign key")
            plans.append(plan)
        conn.rollback()
    return plans
