"""Deleting one row cascades through more tables than the configured limit.

What it does
    Follows ON DELETE CASCADE foreign keys from every table and fires when a delete of one of
    its rows reaches more than `max_tables` other tables (default 4). It reports the longest
    chain found and an estimate of the rows one delete touches, from the planner's row counts:
    each step multiplies by the average number of children per parent row. Only the tables
    where such a cascade starts are reported, not every table downstream of them; of tables
    that cascade into each other (a cycle, FK305), the first by name.

Why it matters
    A deep cascade turns an innocent `DELETE FROM accounts WHERE id = $1` into thousands of
    deletes across many tables, all in one transaction holding row locks, firing their triggers
    and writing WAL: a slow, lock-heavy statement nobody expected, and a large blast radius for
    a mistaken delete.

How to fix
    Decide whether each level should really disappear with its parent. Where history must be
    kept, use RESTRICT or SET NULL and delete explicitly (in batches); where deletes are rare
    and intended (tenant offboarding), document it and raise `max_tables` or suppress the
    finding on the table.

Options
    max_tables (default 4): the number of tables a cascade may reach before the rule fires.

Example
    CREATE TABLE accounts (id int PRIMARY KEY);
    CREATE TABLE projects (id int PRIMARY KEY, acct int REFERENCES accounts ON DELETE CASCADE);
    CREATE TABLE tasks (id int PRIMARY KEY, project_id int REFERENCES projects ON DELETE CASCADE);
    CREATE TABLE comments (id int PRIMARY KEY, task_id int REFERENCES tasks ON DELETE CASCADE);
    CREATE TABLE files (id int PRIMARY KEY, comment_id int REFERENCES comments ON DELETE CASCADE);
    CREATE TABLE thumbs (file_id int REFERENCES files ON DELETE CASCADE);
    -- fires on accounts: one delete reaches 5 tables

Known limits
    Row estimates assume children are spread evenly over parents and are unknown for tables
    never analyzed. SET NULL and SET DEFAULT actions also touch rows but stop the cascade; they
    are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding, Severity
from fkaudit.rules import CatalogRule

if TYPE_CHECKING:
    from fkaudit.rules.cascade_graph import CascadeGraph


class DeepCascade(CatalogRule):
    code = "FK306"
    name = "deep-cascade"
    default_severity = Severity.INFO
    option_defaults: ClassVar[Mapping[str, Any]] = {"max_tables": 4}

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        super().__init__(severity, options)
        if self.options["max_tables"] < 1:
            raise FkauditError(f"max_tables must be 1 or more, got {self.options['max_tables']}")

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        from fkaudit.rules.cascade_graph import cascade_graph  # not for listing the rules

        yield from self.findings(catalog, cascade_graph(catalog))

    def findings(self, catalog: Catalog, graph: CascadeGraph) -> Iterator[Finding]:
        """One finding per table where a cascade over more than `max_tables` tables starts.

        A table reached from a table in another component reaches fewer tables than that one
        (all of its own, plus itself), so the cascade is reported upstream, and upstream of
        every table is a component nothing enters (`source_components`). The tables of one
        component reach the same tables, so only the first by name is reported. Each such
        start is walked only as far as the limit, and in full only when it fires: time linear
        in the graph plus the tables the findings count.
        """
        limit = self.options["max_tables"]
        starts = sorted(
            (min(graph.components[i], key=graph.name) for i in graph.source_components),
            key=graph.name,
        )
        for start in starts:
            if graph.reaches_more_than(start, limit):
                yield self._finding(catalog, graph, start, graph.reach(start))

    def _finding(
        self,
        catalog: Catalog,
        graph: CascadeGraph,
        start: int,
        reach: dict[int, tuple[int, ForeignKey] | None],
    ) -> Finding:
        # BFS order: the last table reached is at the greatest depth.
        deepest = next(reversed(reach))
        path = graph.path_to(reach, start, deepest)
        chain = [graph.name(start), *(graph.name(fk.table_oid) for _, fk in path)]
        rows = _rows_touched(catalog, start, reach)
        table = catalog.table(start)
        count = len(reach) - (start in reach)
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            schema=table.schema,
            table=table.name,
            constraint=None,
            columns=(),
            message=f"deleting one row of {table.qualified_name} cascades to {count} tables, "
            f"e.g. {' -> '.join(chain)}; "
            + (
                f"about {rows:,} rows are deleted per row"
                if rows is not None
                else "rows touched unknown (tables never analyzed)"
            ),
            details={"tables_reached": count, "longest_path": chain, "estimated_rows": rows},
        )


def _rows_touched(
    catalog: Catalog, start: int, reach: dict[int, tuple[int, ForeignKey] | None]
) -> int | None:
    """Rows one delete reaches: per step, child rows per parent row, multiplied down the tree."""
    per_root_row: dict[int, float] = {start: 1.0}
    for node, step in reach.items():  # BFS order: a node's parent comes before it
        if step is None or node == start:
            continue
        parent, _ = step
        parent_rows = catalog.estimated_rows(parent)
        child_rows = catalog.estimated_rows(node)
        if parent_rows is None or child_rows is None:
            return None
        per_root_row[node] = per_root_row[parent] * child_rows / max(parent_rows, 1)
    return round(sum(v for node, v in per_root_row.items() if node != start))
