"""The ON DELETE CASCADE graph contains a cycle: a delete can come back to where it started.

What it does
    Builds the graph of ON DELETE CASCADE foreign keys (referenced table -> referencing table)
    and fires once per group of tables that cascade into each other (a strongly connected
    component), naming the shortest cycle through its first table and the constraints on it.
    A table that cascades to itself (a tree deleting its subtree) is a normal pattern and does
    not fire.

Why it matters
    A cycle of cascades means deleting a row in any of those tables may delete rows in all of
    them, including more rows of the table the delete started in: the blast radius of one
    DELETE is hard to predict, cascades can run long under locks, and data can vanish far from
    where the delete was issued. Cycles are rarely designed; they grow one migration at a time.

How to fix
    Break the cycle where a child can outlive its parent: change one of the foreign keys to
    ON DELETE SET NULL or RESTRICT (drop and re-add it `NOT VALID`, then `VALIDATE`).

Example
    CREATE TABLE a (id int PRIMARY KEY, b_id int);
    CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a ON DELETE CASCADE);
    ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b ON DELETE CASCADE;   -- fires

Known limits
    Only ON DELETE CASCADE is followed; ON UPDATE CASCADE cycles are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fkaudit.catalog.model import Catalog
from fkaudit.findings import Finding, Severity
from fkaudit.rules import CatalogRule

if TYPE_CHECKING:
    from fkaudit.rules.cascade_graph import CascadeGraph


class CascadeCycle(CatalogRule):
    code = "FK305"
    name = "cascade-cycle"
    default_severity = Severity.WARNING

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        from fkaudit.rules.cascade_graph import cascade_graph  # not for listing the rules

        yield from self.findings(catalog, cascade_graph(catalog))

    def findings(self, catalog: Catalog, graph: CascadeGraph) -> Iterator[Finding]:
        """One finding per component of two tables or more. The shortest cycle through its
        first table stays inside the component, so the walk that finds it does too: each
        table and edge is walked once, however much the cycle cascades into downstream."""
        for number, component in enumerate(graph.components):
            if len(component) < 2:
                continue
            start = min(component, key=graph.name)
            path = graph.path_to(graph.reach(start, component=number), start, start)
            tables = " -> ".join([graph.name(start), *(graph.name(fk.table_oid) for _, fk in path)])
            first = path[0][1]
            yield self.finding_for(
                catalog,
                first,
                f"ON DELETE CASCADE cycle: {tables} (via {', '.join(fk.name for _, fk in path)}); "
                "a delete in any of these tables can cascade through all of them",
                details={
                    "cycle": [graph.name(start), *(graph.name(fk.table_oid) for _, fk in path)],
                    "constraints": [fk.name for _, fk in path],
                    "tables_in_cycle": sorted(graph.name(t) for t in component),
                },
            )
