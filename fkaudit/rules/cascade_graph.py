"""The ON DELETE CASCADE graph: which tables a delete in one table reaches.

Nodes are tables (a partitioned table is one node), edges run from the referenced table to the
referencing one for every inspected foreign key with ON DELETE CASCADE. Neighbours are kept
sorted by qualified name so that paths, cycles and messages are deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
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

    def reach(self, start: int) -> dict[int, tuple[int, ForeignKey] | None]:
        """Breadth-first: every table a delete in `start` reaches, with the edge that got there.

        `start` itself is included only when a cycle leads back to it.
        """
        came_from: dict[int, tuple[int, ForeignKey] | None] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for child, fk in self.edges.get(node, ()):
                if child not in came_from:
                    came_from[child] = (node, fk)
                    queue.append(child)
        return came_from

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


_graphs: WeakKeyDictionary[Catalog, CascadeGraph] = WeakKeyDictionary()


def cascade_graph(catalog: Catalog) -> CascadeGraph:
    """The graph of `catalog`, built once (FK305 and FK306 both use it)."""
    graph = _graphs.get(catalog)
    if graph is None:
        edges: dict[int, list[tuple[int, ForeignKey]]] = {}
        for fk in catalog.inspected_foreign_keys:
            if fk.on_delete is Action.CASCADE and fk.table_oid != fk.ref_table_oid:
                edges.setdefault(fk.ref_table_oid, []).append((fk.table_oid, fk))
        names = {
            oid: catalog.table(oid).qualified_name
            for parent, out in edges.items()
            for oid in (parent, *(child for child, _ in out))
        }
        graph = _graphs[catalog] = CascadeGraph(
            {
                parent: tuple(sorted(out, key=lambda e: (names[e[0]], e[1].name)))
                for parent, out in edges.items()
            },
            names,
        )
    return graph
