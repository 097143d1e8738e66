"""The ON DELETE CASCADE graph: which tables a delete in one table reaches.

Nodes are tables (a partitioned table is one node), edges run from the referenced table to the
referencing one for every inspected foreign key with ON DELETE CASCADE. Neighbours are kept
sorted by qualified name so that paths, cycles and messages are deterministic.

Every question the rules ask is answered in time linear in the graph, plus the tables of what
they report: the strongly connected components (tables that cascade into each other) are found
once, by Tarjan's algorithm, and a walk from one table either stops after a bounded number of
tables (`reaches_more_than`) or is kept to one component (`reach(..., component=...)`). A
database of 100,000 foreign keys has tens of thousands of tables where a cascade starts: a
walk from each of them, or a comparison of each pair, would be quadratic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from weakref import WeakKeyDictionary

from fkaudit.catalog.model import Action, Catalog, ForeignKey


@dataclass(frozen=True)
class CascadeGraph:
    # No reference to the catalog: the graph is cached per catalog in a WeakKeyDictionary,
    # and a value that pointed back at its key would keep every catalog alive forever.
    edges: Mapping[int, tuple[tuple[int, ForeignKey], ...]]  # parent -> (child, fk), sorted
    names: Mapping[int, str]  # qualified name of every table in the graph

    def name(self, table_oid: int) -> str:
        return self.names[table_oid]

    def reach(
        self, start: int, component: int | None = None
    ) -> dict[int, tuple[int, ForeignKey] | None]:
        """Breadth-first: every table a delete in `start` reaches, with the edge that got there.

        `start` itself is included only when a cycle leads back to it. With `component`, only
        the tables of that strongly connected component are followed: what the walk finds
        inside it (order, edges, paths) is what the unbounded walk finds there, because no
        table outside a component leads back into it.
        """
        came_from: dict[int, tuple[int, ForeignKey] | None] = {}
        queue = deque([start])
        edges = self.edges
        within = self.component_of if component is not None else None
        while queue:
            node = queue.popleft()
            for child, fk in edges.get(node, ()):
                if child not in came_from and (within is None or within[child] == component):
                    came_from[child] = (node, fk)
                    queue.append(child)
        return came_from

    def reaches_more_than(self, start: int, limit: int) -> bool:
        """Does a delete in `start` reach more than `limit` other tables? A walk that stops
        as soon as it knows, so it costs at most `limit + 1` tables' edges, however far the
        cascade goes."""
        seen = {start}
        queue = deque([start])
        edges = self.edges
        while queue:
            for child, _ in edges.get(queue.popleft(), ()):
                if child not in seen:
                    if len(seen) > limit:  # `start` and `limit` others, and one more
                        return True
                    seen.add(child)
                    queue.append(child)
        return False

    def path_to(
        self, came_from: Mapping[int, tuple[int, ForeignKey] | None], start: int, end: int
    ) -> list[tuple[int, ForeignKey]]:
        """The edges from `start` to `end` found by `reach`, as (parent, fk) in order."""
        path: list[tuple[int, ForeignKey]] = []
        node = end
        while True:
            step = came_from[node]
            assert step is not None
            path.append(step)
            node = step[0]
            if node == start:
                return path[::-1]

    @cached_property
    def components(self) -> tuple[tuple[int, ...], ...]:
        """The strongly connected components, each a tuple of tables; a table in no cycle is a
        component of its own. Tarjan's algorithm, iteratively (a chain of 100,000 cascades
        would exceed the recursion limit), so each table and edge is visited once."""
        edges = self.edges
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        stack: list[int] = []
        on_stack: set[int] = set()
        found: list[tuple[int, ...]] = []
        for root in edges:
            if root in index:
                continue
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            work = [(root, iter(edges.get(root, ())))]
            while work:
                node, children = work[-1]
                for child, _ in children:
                    if child not in index:
                        index[child] = low[child] = len(index)
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(edges.get(child, ()))))
                        break  # descend; this node's remaining children are resumed later
                    if child in on_stack and index[child] < low[node]:
                        low[node] = index[child]
                else:
                    work.pop()
                    if work and low[node] < low[work[-1][0]]:
                        low[work[-1][0]] = low[node]
                    if low[node] == index[node]:
                        member = -1
                        component: list[int] = []
                        while member != node:
                            member = stack.pop()
                            on_stack.discard(member)
                            component.append(member)
                        found.append(tuple(component))
        return tuple(found)

    @cached_property
    def component_of(self) -> Mapping[int, int]:
        """The position in `components` of every table's component."""
        return {table: i for i, members in enumerate(self.components) for table in members}

    @cached_property
    def source_components(self) -> tuple[int, ...]:
        """The components no cascade from outside enters: where a delete's cascade starts
        without having been reached from an upstream table."""
        component_of = self.component_of
        entered = {
            component_of[child]
            for parent, out in self.edges.items()
            for child, _ in out
            if component_of[child] != component_of[parent]
        }
        return tuple(i for i in range(len(self.components)) if i not in entered)


_graphs: WeakKeyDictionary[Catalog, CascadeGraph] = WeakKeyDictionary()


def cascade_graph(catalog: Catalog) -> CascadeGraph:
    """The graph of `catalog`, built once (FK305 and FK306 both use it)."""
    graph = _graphs.get(catalog)
    if graph is None:
        graph = _graphs[catalog] = build_cascade_graph(catalog)
    return graph


def build_cascade_graph(catalog: Catalog) -> CascadeGraph:
    """The graph of the inspected ON DELETE CASCADE foreign keys of `catalog`."""
    edges: dict[int, list[tuple[int, ForeignKey]]] = {}
    for fk in catalog.inspected_foreign_keys:
        if fk.on_delete is Action.CASCADE and fk.table_oid != fk.ref_table_oid:
            edges.setdefault(fk.ref_table_oid, []).append((fk.table_oid, fk))
    names = {
        oid: catalog.table(oid).qualified_name
        for parent, out in edges.items()
        for oid in (parent, *(child for child, _ in out))
    }
    return CascadeGraph(
        {
            parent: tuple(sorted(out, key=lambda e: (names[e[0]], e[1].name)))
            for parent, out in edges.items()
        },
        names,
    )
