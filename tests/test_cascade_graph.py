"""FK305 and FK306 on large cascade graphs, without a server: the same verdicts as the plain
definition, in work linear in the graph.

The rules reason about an in-memory catalog (`fkaudit.catalog.model`), so these tests build
catalogs of thousands of tables directly. The work is counted, not timed: the lines executed in
the graph and rule modules (`sys.settrace`), which a quadratic step multiplies by 16 when the
graph grows 4x, and a linear one by 4. tests/cases/cascades.sql checks the same rules against
a real server.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import fkaudit.rules.cascade_graph
import fkaudit.rules.fk305_cascade_cycle
import fkaudit.rules.fk306_deep_cascade
from fkaudit.catalog.model import Action, Catalog, Column, ForeignKey, MatchType, Table
from fkaudit.findings import Finding
from fkaudit.rules.cascade_graph import CascadeGraph, build_cascade_graph
from fkaudit.rules.fk305_cascade_cycle import CascadeCycle
from fkaudit.rules.fk306_deep_cascade import DeepCascade

Edge = tuple[int, int]  # (referenced table, referencing table), both numbered from 0


def _catalog(tables: int, cascades: Sequence[Edge], rows: Callable[[int], int | None]) -> Catalog:
    """Tables t0..tN-1 (in two schemas) and an ON DELETE CASCADE key per (parent, child)."""
    column = (Column(1, "up", "up", 23, "integer", False, 0),)
    model = {
        oid: Table(oid, "s" if oid % 3 else "r", f"t{oid - 1}", "r", None, rows(oid), 0, column)
        for oid in range(1, tables + 1)
    }
    keys = tuple(
        ForeignKey(
            oid=10_000_000 + n,
            schema=model[child + 1].schema,
            name=f"k{n % 7}",
            table_oid=child + 1,
            ref_table_oid=parent + 1,
            attnums=(1,),
            ref_attnums=(1,),
            pf_eq_operators=(96,),
            on_delete=Action.CASCADE,
            on_update=Action.NO_ACTION,
            match_type=MatchType.SIMPLE,
            deferrable=False,
            initially_deferred=False,
            validated=True,
            enforced=True,
            is_period=False,
            delete_set_attnums=None,
            parent_constraint_oid=None,
        )
        for n, (parent, child) in enumerate(cascades)
    )
    return Catalog(
        server_version_num=180000,
        database="db",
        tables=model,
        indexes=(),
        foreign_keys=keys,
        search_operators=frozenset(),
        in_scope_table_oids=frozenset(model),
    )


def _findings(findings: Iterator[Finding]) -> list[tuple[Any, ...]]:
    """Everything a finding says, in an order that does not depend on the rule's."""
    return sorted(
        (f.schema, f.table, f.constraint, f.columns, f.message, sorted(dict(f.details).items()))
        for f in findings
    )


# -- the definitions, quadratic: every table walked, every pair compared --------------------


def _cycles_by_definition(catalog: Catalog) -> Iterator[Finding]:
    """FK305: tables that reach each other form a group; the shortest cycle through the first
    by name, found by an unbounded walk."""
    rule, graph = CascadeCycle(), build_cascade_graph(catalog)
    reach = {table: graph.reach(table) for table in graph.names}
    done: set[int] = set()
    for table in sorted(graph.names, key=graph.name):
        group = {table} | {t for t in reach[table] if table in reach[t]}
        if len(group) < 2 or table in done:
            continue
        done |= group
        path = graph.path_to(reach[table], table, table)
        chain = [graph.name(table), *(graph.name(fk.table_oid) for _, fk in path)]
        yield rule.finding_for(
            catalog,
            path[0][1],
            f"ON DELETE CASCADE cycle: {' -> '.join(chain)} "
            f"(via {', '.join(fk.name for _, fk in path)}); "
            "a delete in any of these tables can cascade through all of them",
            details={
                "cycle": chain,
                "constraints": [fk.name for _, fk in path],
                "tables_in_cycle": sorted(graph.name(t) for t in group),
            },
        )


def _deep_by_definition(catalog: Catalog, limit: int) -> Iterator[Finding]:
    """FK306: every table reaching more than `limit` others, unless another such table reaches
    it and is upstream, or shares a cycle with it and comes first by name."""
    rule, graph = DeepCascade(options={"max_tables": limit}), build_cascade_graph(catalog)
    reached = {
        start: reach
        for start in sorted(graph.edges, key=graph.name)
        if len(reach := graph.reach(start)) - (start in reach) > limit
    }
    for start, reach in reached.items():
        if not any(
            other != start
            and start in reached[other]
            and (other not in reach or graph.name(other) < graph.name(start))
            for other in reached
        ):
            yield rule._finding(catalog, graph, start, reach)


def _random_graph(seed: int) -> tuple[int, list[Edge], Callable[[int], int | None]]:
    rng = random.Random(seed)
    tables = rng.randint(2, 40)
    downward = rng.random()  # how close to a DAG: cycles are rarer as it grows
    edges = []
    for _ in range(rng.randint(0, 3 * tables)):
        parent, child = rng.randrange(tables), rng.randrange(tables)
        if parent > child and rng.random() < downward:
            parent, child = child, parent
        if parent != child:
            edges.append((parent, child))
    counts = {oid: None if rng.random() < 0.05 else rng.randint(0, 1000) for oid in range(99)}
    return tables, edges, counts.get


@pytest.mark.parametrize("seed", range(300))
def test_verdicts_are_those_of_the_definition(seed: int) -> None:
    catalog = _catalog(*_random_graph(seed))
    expected = [_findings(_cycles_by_definition(catalog))]
    expected += [_findings(_deep_by_definition(catalog, n)) for n in (1, 2, 4)]
    found = [_findings(CascadeCycle().check(catalog))]
    found += [_findings(DeepCascade(options={"max_tables": n}).check(catalog)) for n in (1, 2, 4)]
    assert found == expected


# -- linear work ----------------------------------------------------------------------------

_COUNTED = {
    Path(module.__file__ or "").resolve()
    for module in (
        fkaudit.rules.cascade_graph,
        fkaudit.rules.fk305_cascade_cycle,
        fkaudit.rules.fk306_deep_cascade,
    )
}


def _work(rule: CascadeCycle | DeepCascade, catalog: Catalog) -> tuple[int, int]:
    """Lines executed in the graph and rule modules while `rule` judges `catalog`, and the
    size of what it had to read and write: tables, cascades and, for FK306, the tables its
    findings count (each reported start is walked to the end, which no shortcut can avoid
    when several starts share what lies downstream: the counts overlap)."""
    counted = {str(path) for path in _COUNTED}
    lines = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if frame.f_code.co_filename not in counted:
            return None
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        findings = list(rule.check(catalog))
    finally:
        sys.settrace(None)
    reported = sum(f.details["tables_reached"] for f in findings if f.code == "FK306")
    return lines, len(catalog.tables) + len(catalog.foreign_keys) + reported


def _chain(n: int) -> list[Edge]:
    """t0 -> t1 -> ... : every table starts a deep cascade, one is reported."""
    return [(i, i + 1) for i in range(n - 1)]


def _ring(n: int) -> list[Edge]:
    """One cycle through every table."""
    return [(i, (i + 1) % n) for i in range(n)]


def _cycles_into_a_chain(n: int) -> list[Edge]:
    """n/40 two-table cycles, each cascading into the head of one long chain: each cycle is
    reported (FK305), and its shortest cycle must be found without walking the chain."""
    chain = n // 2
    edges = _chain(chain)
    for first in range(chain, n - 1, 40):
        edges += [(first, first + 1), (first + 1, first), (first + 1, 0)]
    return edges


def _forest(n: int) -> list[Edge]:
    """Each table cascades from a random earlier one: thousands of starts, shallow and deep."""
    rng = random.Random(n)
    return [(rng.randrange(max(1, i // 2), i), i) for i in range(2, n)]


def _fan_out(n: int) -> list[Edge]:
    """A few hubs, each reaching thousands of tables through one level of children."""
    edges = [(hub, child) for hub in range(4) for child in range(4 + hub, n // 2, 4)]
    return edges + [(child, child + n // 2) for child in range(4, n // 2)]


@pytest.mark.parametrize("rule", [CascadeCycle, DeepCascade])
@pytest.mark.parametrize("shape", [_chain, _ring, _cycles_into_a_chain, _forest, _fan_out])
def test_work_grows_linearly_with_the_graph(
    shape: Callable[[int], list[Edge]], rule: type[CascadeCycle | DeepCascade]
) -> None:
    """Per table, cascade and reported table, the work stays the same when the graph grows
    4x (a quadratic step would make it 4x as much)."""
    (small, small_size), (large, large_size) = (
        _work(rule(), _catalog(n, shape(n), lambda oid: 10 * oid)) for n in (500, 2_000)
    )
    assert small > 0
    assert large / large_size <= 1.15 * small / small_size, (
        f"{shape.__name__}: {small} lines for size {small_size}, {large} for {large_size}"
    )


def test_components_of_a_long_chain_need_no_recursion() -> None:
    n = 3 * sys.getrecursionlimit()
    graph = build_cascade_graph(_catalog(n, [*_chain(n), (n - 1, 0)], lambda oid: None))
    assert isinstance(graph, CascadeGraph)
    assert [len(c) for c in graph.components] == [n]
    assert graph.source_components == (0,)
