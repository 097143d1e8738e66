"""Suppressions that live with the schema: `fkaudit:ignore` in a comment on a table or FK.

    COMMENT ON CONSTRAINT fk_orders_customer ON orders IS
        'Legacy import table. fkaudit:ignore FK101 FK303 -- scanned nightly, never deleted';
    COMMENT ON TABLE audit_log IS 'fkaudit:ignore -- append-only, parents are never deleted';

The same directive in a `--` comment of the SQL files a schema was loaded from
(`--schema-file`, `--migrations`), on or directly above the statement that defines a foreign
key or a table, is attached to that key or table (`fkaudit.sqlsource` reads them):

    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer  -- fkaudit:ignore FK103
        FOREIGN KEY (customer_id) REFERENCES customers;

A directive names rule codes (`FK101`), code prefixes (`FK1`) or rule names, or nothing (every
rule). Text after `--` is the reason. A directive with a token that is none of these
(`FK1O1`, `unindexed_foreign_key`, `=FK101`) suppresses nothing and is reported by FK001: a
typo must never widen into "ignore every rule". A comment on a table covers all its findings;
one on a foreign key covers that key only. Keeping them in the database means they travel with
dumps and migrations, and are visible to whoever reads the schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fkaudit.catalog.model import Catalog, Table
from fkaudit.findings import Finding
from fkaudit.selectors import matches, well_formed_in_comment

if TYPE_CHECKING:
    from fkaudit.sqlsource import IgnoreComment

_DIRECTIVE = re.compile(r"fkaudit:ignore(?P<selectors>[^\n]*?)(?:--(?P<reason>[^\n]*))?$", re.M)


@dataclass(frozen=True)
class Suppression:
    """One `fkaudit:ignore` directive and the object it is attached to."""

    schema: str
    table: str
    constraint: str | None  # None: on the table
    selectors: tuple[str, ...]  # empty: every rule
    reason: str
    invalid: tuple[str, ...] = ()  # tokens that are not selectors: the directive is void
    source: str | None = None  # `path:line` of a comment in an SQL file; None: in the database

    @property
    def target(self) -> str:
        if self.constraint is None:
            return f"table {self.schema}.{self.table}"
        return f"constraint {self.constraint} on {self.schema}.{self.table}"

    @property
    def described(self) -> str:
        """The directive for a message: `the comment on <target>`, and where it is written."""
        if self.source is None:
            return f"the comment on {self.target}"
        return f"the fkaudit:ignore comment at {self.source} (on {self.target})"

    def covers_code(self, code: str, name: str) -> bool:
        if self.invalid:
            return False
        return not self.selectors or any(matches(s, code, name) for s in self.selectors)

    def matches(self, finding: Finding) -> bool:
        return (
            finding.schema == self.schema
            and finding.table == self.table
            and (self.constraint is None or finding.constraint == self.constraint)
            and self.covers_code(finding.code, finding.name)
        )


@dataclass(frozen=True)
class SuppressionOutcome:
    """What a run made of its `fkaudit:ignore` directives: what a meta rule (FK001) judges."""

    suppressions: Sequence[Suppression]
    used: frozenset[Suppression]  # the directives that suppressed a finding
    ran: frozenset[str]  # the codes of the rules of this run
    by_default: frozenset[str]  # the codes the configuration runs without command-line selection


def read_suppressions(
    catalog: Catalog, file_comments: Sequence[IgnoreComment] = ()
) -> list[Suppression]:
    """Directives in the comments of in-scope tables and their foreign keys, then those of
    `file_comments` (SQL files) attached to them."""
    found = []
    for comment in catalog.suppression_comments:
        if comment.table_oid not in catalog.in_scope_table_oids:
            continue
        table = catalog.table(comment.table_oid)
        found += _directives(comment.text, table, comment.constraint)
    if file_comments:
        found += _file_suppressions(catalog, file_comments)
    return found


def _directives(
    text: str, table: Table, constraint: str | None, source: str | None = None
) -> list[Suppression]:
    """The `fkaudit:ignore` directives in `text`, attached to `table` or its `constraint`."""
    found = []
    for match in _DIRECTIVE.finditer(text):
        tokens = [t for t in re.split(r"[\s,]+", match.group("selectors")) if t]
        found.append(
            Suppression(
                table.schema,
                table.name,
                constraint,
                tuple(t for t in tokens if well_formed_in_comment(t)),
                (match.group("reason") or "").strip(),
                tuple(t for t in tokens if not well_formed_in_comment(t)),
                source,
            )
        )
    return found


def _file_suppressions(catalog: Catalog, comments: Sequence[IgnoreComment]) -> list[Suppression]:
    """SQL-file directives on in-scope tables, each attached where its comment is.

    A file that leaves a table unqualified may mean it in any schema: the directive applies to
    each in-scope table of that name. A foreign key the file declares without a name is the
    table's key on the same referencing columns (PostgreSQL named it); when there is none any
    more, the directive keeps the columns as its target, matches nothing, and FK001 says so.
    """
    tables: dict[str, list[Table]] = {}
    for oid in catalog.in_scope_table_oids:
        table = catalog.table(oid)
        tables.setdefault(table.name, []).append(table)
    found = []
    for comment in comments:
        target = comment.target
        if target is None:
            continue
        for table in tables.get(target.table, ()):
            if target.schema is not None and table.schema != target.schema:
                continue
            constraint = target.constraint
            if constraint is None and target.columns:
                constraint = _key_named(catalog, table, target.columns)
            found += _directives(comment.text, table, constraint, comment.source)
    return found


def _key_named(catalog: Catalog, table: Table, columns: tuple[str, ...]) -> str:
    """The name of `table`'s foreign key on `columns`, or `FOREIGN KEY (columns)`."""
    for fk in catalog.foreign_keys:
        if fk.table_oid != table.oid or fk.is_clone:
            continue
        if tuple(table.column(n).name for n in fk.attnums) == columns:
            return fk.name
    return f"FOREIGN KEY ({', '.join(columns)})"


def split_suppressed(
    findings: Iterable[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[Finding], list[Finding], set[Suppression]]:
    """(kept, suppressed, the suppressions that matched something)."""
    kept, suppressed, used = [], [], set()
    by_table: dict[tuple[str, str], list[Suppression]] = {}
    for suppression in suppressions:
        by_table.setdefault((suppression.schema, suppression.table), []).append(suppression)
    for finding in findings:
        candidates = by_table.get((finding.schema, finding.table), ())
        matching = [s for s in candidates if s.matches(finding)]
        if matching:
            suppressed.append(finding)
            used.update(matching)
        else:
            kept.append(finding)
    return kept, suppressed, used
