"""An index searches only some of the foreign key's columns.

What it does
    Fires when the best index the foreign-key check can use on the referencing table leads with
    only some FK columns: for FK (a, b), an index on (a), on (a, x, b), or on (a) INCLUDE (b) —
    INCLUDE columns are stored but never searched. PostgreSQL then searches on `a` and filters
    every row with that `a` for `b`. For a partitioned child, the leaves that are only partly
    covered are named.

Why it matters
    The check stays cheap only while few rows share the leading value. With a low-cardinality
    leading column (a tenant id, a status) every parent delete reads and locks-checks large
    slices of the child.

How to fix
    Create an index whose leading key columns are all the FK columns:
    `CREATE INDEX CONCURRENTLY ON child (a, b);` then drop the narrower index if nothing else
    needs it.

Example
    CREATE TABLE line (order_id int, tenant_id int, sku text,
                       FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id));
    CREATE INDEX ON line (tenant_id);               -- fires: searches tenant_id only
    CREATE INDEX ON line (tenant_id, order_id);     -- fixed

Known limits
    Whether the partial search is fast enough depends on the data distribution, which this
    catalog rule does not measure.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.coverage import Coverage, coverage_grade, fk_coverage
from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.index_names import fk_index_fix
from fkaudit.rules.wording import describe_rows, fk_columns, leaves_phrase


class PartiallyIndexedForeignKey(ForeignKeyRule):
    code = "FK102"
    name = "partially-indexed-foreign-key"
    default_severity = Severity.WARNING

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        if coverage_grade(catalog, fk) is not Coverage.PARTIAL:
            return
        verdict = fk_coverage(catalog, fk)
        child = catalog.table(fk.table_oid)
        columns = fk_columns(catalog, fk)
        best = next(t for t in verdict.weakest if t.coverage is Coverage.PARTIAL)
        assert best.best_index is not None
        searched = [best.table.column(n).name for n in best.searched_attnums]
        rows = catalog.estimated_rows(child.oid)
        message = (
            f"index {best.best_index.name} searches only ({', '.join(searched)}) of "
            f"({', '.join(columns)}): each delete or key update in "
            f"{catalog.table(fk.ref_table_oid).qualified_name} filters the matching rows "
            f"of {describe_rows(rows)}{leaves_phrase(child, verdict)}"
        )
        yield self.finding_for(
            catalog,
            fk,
            message,
            fix=fk_index_fix(catalog, fk, verdict),
            details={
                "estimated_rows": rows,
                "index": best.best_index.name,
                "searched_columns": searched,
            },
        )
