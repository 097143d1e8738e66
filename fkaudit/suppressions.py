"""Suppressions that live with the schema: `fkaudit:ignore` in a comment on a table or FK.

    COMMENT ON CONSTRAINT fk_orders_customer ON orders IS
        'Legacy import table. fkaudit:ignore FK101 FK303 -- scanned nightly, never deleted';
    COMMENT ON TABLE audit_log IS 'fkaudit:ignore -- append-only, parents are never deleted';

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

from fkaudit.catalog.model import Catalog
from fkaudit.findings import Finding
from fkaudit.selectors import matches, well_formed_in_comment

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

    @property
    def target(self) -> str:
        if self.constraint is None:
            return f"table {self.schema}.{self.table}"
        return f"constraint {self.constraint} on {self.schema}.{self.table}"

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


def read_suppressions(catalog: Catalog) -> list[Suppression]:
    """Directives in the comments of in-scope tables and their foreign keys."""
    found = []
    for comment in catalog.suppression_comments:
        if comment.table_oid not in catalog.in_scope_table_oids:
            continue
        table = catalog.table(comment.table_oid)
        for match in _DIRECTIVE.finditer(comment.text):
            tokens = [t for t in re.split(r"[\s,]+", match.group("selectors")) if t]
            found.append(
                Suppression(
                    table.schema,
                    table.name,
                    comment.constraint,
                    tuple(t for t in tokens if well_formed_in_comment(t)),
                    (match.group("reason") or "").strip(),
                    tuple(t for t in tokens if not well_formed_in_comment(t)),
                )
            )
    return found


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
