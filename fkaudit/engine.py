"""Select rules, run each in isolation, and collect a deterministic `Report`.

A rule that raises does not crash the run and is not silently skipped: it becomes a reported
internal error, and the run's exit code is 2 ("could not run"), because a clean result from a
run that did not finish checking would be a lie.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fkaudit.catalog.model import Catalog
from fkaudit.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, FkauditError
from fkaudit.findings import Finding, Severity
from fkaudit.rules import Rule, all_rules


@dataclass(frozen=True)
class RuleError:
    """A rule that crashed: which one, and the exception in one line."""

    code: str
    message: str


@dataclass(frozen=True)
class Report:
    """The outcome of one audit: findings in deterministic order plus what was inspected."""

    findings: tuple[Finding, ...]
    errors: tuple[RuleError, ...] = ()
    rules_run: tuple[str, ...] = ()
    foreign_keys_inspected: int = 0
    tables_inspected: int = 0
    database: str = ""
    server_version: str = ""
    elapsed_seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Findings per severity label, every severity present (highest first)."""
        counted = Counter(f.severity for f in self.findings)
        return {s.label: counted.get(s, 0) for s in sorted(Severity, reverse=True)}

    def exit_code(self, fail_on: Severity = Severity.WARNING) -> int:
        """0 nothing at or above `fail_on`; 1 findings at or above it; 2 the run was incomplete."""
        if self.errors:
            return EXIT_ERROR
        if any(f.severity >= fail_on for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_CLEAN


def _matches(rule: type[Rule], selector: str) -> bool:
    token = selector.strip()
    return rule.code.startswith(token.upper()) or rule.name == token.lower()


def select_rules(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[type[Rule]]:
    """Rules chosen by code, code prefix (`FK1`) or name; unknown selectors are an error."""
    rules = all_rules()
    for selector in [*select, *ignore]:
        if not any(_matches(rule, selector) for rule in rules):
            known = ", ".join(rule.code for rule in rules)
            raise FkauditError(f"unknown rule {selector!r} (known rules: {known})")
    chosen = [r for r in rules if not select or any(_matches(r, s) for s in select)]
    return [r for r in chosen if not any(_matches(r, s) for s in ignore)]


def run_rules(
    catalog: Catalog, rules: Iterable[Rule]
) -> tuple[tuple[Finding, ...], tuple[RuleError, ...]]:
    """Run every rule; a crash in one is recorded and the others still run."""
    findings: list[Finding] = []
    errors: list[RuleError] = []
    for rule in rules:
        try:
            findings.extend(list(rule.check(catalog)))
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(
                RuleError(
                    rule.code,
                    f"internal error in rule {rule.code}: {type(exc).__name__}: {exc} "
                    f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
                )
            )
    findings.sort(key=Finding.sort_key)
    return tuple(findings), tuple(errors)
