"""Rows whose foreign-key columns reference no row: orphans, found by scanning the data.

What it does
    Counts, for each foreign key it scans, the referencing rows whose key is not all NULL and
    matches no referenced row (MATCH SIMPLE: rows with any NULL key column are skipped; MATCH
    FULL: rows with some but not all key columns NULL are orphans too), and shows up to
    `--samples` of their keys plus a query that lists them all. Which keys are scanned:
    `--orphans suspect` (the default) those where orphans can exist without anyone breaking a
    rule (NOT VALID, NOT ENFORCED, RI triggers disabled); `--orphans all` every key;
    `--orphans off` none. Each scan is a read-only anti-join bounded by `--statement-timeout`;
    a scan that times out or is refused makes the run exit 2 unless `--allow-incomplete`.
    `--sample PERCENT` reads referencing tables of 100,000 rows or more through a page sample
    (TABLESAMPLE SYSTEM) and reports their counts as estimates.

Why it matters
    An orphan breaks every query that joins the two tables, makes VALIDATE CONSTRAINT fail, and
    usually means data was lost or loaded around the constraint. A validated foreign key does not
    prove there are none: `session_replication_role = replica` and disabled triggers bypass the
    check, which is why `--orphans all` exists.

How to fix
    Decide per case: delete the orphans, set their keys to NULL (when the columns are nullable),
    or restore the missing referenced rows. `fkaudit fix` writes the first two as commented-out
    statements; then validate or re-enable the constraint.

Example
    ALTER TABLE orders DISABLE TRIGGER ALL;
    INSERT INTO orders (customer_id) VALUES (999);      -- no such customer
    ALTER TABLE orders ENABLE TRIGGER ALL;              -- fires with --orphans all: 1 orphan

Known limits
    Counts are exact at the moment of the scan's snapshot; rows written afterwards are not seen.
    Keys are compared with the constraint's own operators, so results match what VALIDATE
    CONSTRAINT would check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, OrphanDetails, Severity
from fkaudit.fixsql import render, table_name
from fkaudit.rules import DataRule
from fkaudit.rules.wording import fk_columns

# The data auditor and its queries need psycopg, which `fkaudit rules` (importing every rule)
# must not load: they are imported where a scan's result is turned into a finding.
if TYPE_CHECKING:
    from fkaudit.orphans.scan import OrphanCount


class OrphanedRows(DataRule):
    code = "FK501"
    name = "orphaned-rows"
    default_severity = Severity.ERROR

    def keys_to_scan(self, catalog: Catalog, mode: str) -> list[ForeignKey]:
        """The inspected foreign keys `--orphans` names: suspect ones, or all."""
        from fkaudit.orphans.scan import keys_to_scan

        return keys_to_scan(catalog, mode)

    def scanned(self, catalog: Catalog, result: OrphanCount) -> Finding | None:
        """A finding when the scan found orphans; a clean key says nothing."""
        return self.finding(catalog, result) if result.count else None

    def finding(self, catalog: Catalog, result: OrphanCount) -> Finding:
        from fkaudit.orphans.queries import listing_query

        fk = result.fk
        child, parent = catalog.table(fk.table_oid), catalog.table(fk.ref_table_oid)
        columns = fk_columns(catalog, fk)
        samples = [dict(zip(columns, values, strict=True)) for values in result.samples]
        shown = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in samples)
        count = f"{result.count:,}"
        if result.sample_percent is not None:
            count = f"about {count} (estimated from a {result.sample_percent:g} % sample)"
        return self.finding_for(
            catalog,
            fk,
            f"{count} row(s) of {child.qualified_name} reference no row of "
            f"{parent.qualified_name}" + (f", e.g. {shown}" if shown else ""),
            columns=columns,
            suggestion=self._remedies(catalog, result),
            details=OrphanDetails(
                orphan_count=result.count,
                samples=samples,
                query=listing_query(catalog, fk),
                estimated=result.sample_percent is not None,
                sample_percent=result.sample_percent,
            ),
        )

    @staticmethod
    def _remedies(catalog: Catalog, result: OrphanCount) -> str:
        """Delete the orphans or, when every key column is nullable, detach them."""
        from psycopg import sql

        from fkaudit.orphans.queries import CHILD, orphan_filter

        fk = result.fk
        child = catalog.table(fk.table_oid)
        only = sql.SQL("" if child.is_partitioned else "ONLY ")
        where = orphan_filter(catalog, fk)
        statements = [
            render(
                sql.SQL("DELETE FROM {}{} AS {} WHERE {}").format(
                    only, table_name(child), CHILD, where
                )
            )
        ]
        columns = [child.column(n) for n in fk.attnums]
        if not any(c.not_null for c in columns):
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = NULL").format(sql.Identifier(c.name)) for c in columns
            )
            statements.append(
                render(
                    sql.SQL("UPDATE {}{} AS {} SET {} WHERE {}").format(
                        only, table_name(child), CHILD, assignments, where
                    )
                )
            )
        return "\n".join(statements)
