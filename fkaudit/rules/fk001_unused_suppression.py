"""A `fkaudit:ignore` comment that no longer suppresses anything.

What it does
    After the other rules ran and suppressions were applied, reports every `fkaudit:ignore`
    directive (in a comment on a table or foreign key, or in a `--` comment of the SQL files
    given with --schema-file or --migrations) that matched no finding. A directive is
    judged only when every rule it covers that the configuration runs by default ran in this
    audit, so `--select FK101` does not make other suppressions look stale, and a rule the team
    turned off does not either.
    A directive with a token that is not a rule code, prefix or name (a typo such as `FK1O1`)
    suppresses nothing and is reported as malformed, whatever rules ran.

Why it matters
    Suppressions outlive the problems they hid: the index was added, the constraint renamed or
    dropped. A stale ignore hides the next real problem on that object and misleads readers
    into thinking there is a known exception.

How to fix
    Remove the directive from the comment, e.g. `COMMENT ON CONSTRAINT fk ON orders IS NULL;`
    (or rewrite the comment without it); in an SQL file, delete the `-- fkaudit:ignore` line.

Example
    COMMENT ON CONSTRAINT fk_orders_customer ON orders IS 'fkaudit:ignore FK101';
    CREATE INDEX ON orders (customer_id);   -- FK101 no longer fires: FK001 fires

Known limits
    A directive naming an unknown rule code is reported as unused. Suppressions cannot suppress
    FK001 itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fkaudit.findings import Finding, Severity
from fkaudit.rules import MetaRule, all_rules

if TYPE_CHECKING:  # the engine hands the outcome over; listing the rules needs none of it
    from fkaudit.suppressions import Suppression, SuppressionOutcome


class UnusedSuppression(MetaRule):
    code = "FK001"
    name = "unused-suppression"
    default_severity = Severity.INFO

    def judge(self, outcome: SuppressionOutcome) -> Iterator[Finding]:
        """Directives that matched nothing, among those this run can judge.

        Only rules the configuration runs count (`outcome.by_default`): a rule the team turned
        off cannot make a directive stale.
        """
        for suppression in outcome.suppressions:
            if suppression.invalid:
                message = (
                    f"{suppression.described} has a malformed fkaudit:ignore "
                    f"({', '.join(repr(t) for t in suppression.invalid)} is not a rule code, "
                    "prefix or name): it suppresses nothing"
                )
            elif suppression not in outcome.used and _judgeable(suppression, outcome):
                what = " ".join(suppression.selectors) or "all rules"
                message = (
                    f"{suppression.described} ignores {what}, but nothing fires "
                    "there any more: remove the directive"
                )
            else:
                continue
            yield Finding(
                code=self.code,
                name=self.name,
                severity=self.severity,
                schema=suppression.schema,
                table=suppression.table,
                constraint=suppression.constraint,
                columns=(),
                message=message,
                details={
                    "selectors": list(suppression.selectors),
                    "reason": suppression.reason,
                    **({"source": suppression.source} if suppression.source else {}),
                },
            )


def _judgeable(suppression: Suppression, outcome: SuppressionOutcome) -> bool:
    """Every rule the directive covers, among those configured to run, ran in this audit.

    A directive naming no existing rule is judged (and reported): it can never match.
    """
    others = [r for r in all_rules() if r.code != UnusedSuppression.code]
    covered = [r.code for r in others if suppression.covers_code(r.code, r.name)]
    if suppression.selectors and not covered:
        return True
    active = [code for code in covered if code in outcome.by_default]
    return bool(active) and all(code in outcome.ran for code in active)
