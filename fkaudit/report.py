"""The outcome of an audit, as plain data: what reporters, `fkaudit fix` and baselines read.

These types hold no behaviour beyond reading themselves, so the reporters, `migration.py` and
`baseline.py` depend on data only, never on the engine that produced it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fkaudit.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from fkaudit.escape import printable
from fkaudit.findings import Finding, Severity


@dataclass(frozen=True)
class RuleError:
    """A rule that crashed: which one, and the exception in one line."""

    code: str
    message: str

    def __post_init__(self) -> None:
        """Messages quote names and server errors: kept on one line for every format."""
        object.__setattr__(self, "message", printable(self.message))


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding: enough to match it (fingerprint) and to read it (the rest)."""

    schema: str
    table: str
    constraint: str | None
    code: str
    fingerprint: str

    @classmethod
    def of(cls, finding: Finding) -> BaselineEntry:
        return cls(
            finding.schema, finding.table, finding.constraint, finding.code, finding.fingerprint
        )

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.schema, self.table, self.constraint or "", self.code, self.fingerprint)

    @property
    def qualified_object(self) -> str:
        return ".".join(p for p in (self.schema, self.table, self.constraint) if p)


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
    suppressed: tuple[Finding, ...] = ()  # silenced by `fkaudit:ignore` comments
    incomplete: tuple[RuleError, ...] = ()  # checks that did not complete, allowed to pass
    # (schema, table, constraint) of every foreign key inspected: JUnit lists passes per key.
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    baselined: tuple[Finding, ...] = ()  # accepted by a baseline: shown, never failing
    stale_baseline: tuple[BaselineEntry, ...] = ()  # baseline entries nothing matches any more
    # (schema, table, constraint) of every key an exact orphan scan found no orphan in: the only
    # keys whose VALIDATE CONSTRAINT `fkaudit fix` knows will succeed.
    scanned_clean: frozenset[tuple[str, str, str]] = frozenset()
    # (fingerprint, path, line) of findings a review placed at the statement that caused them
    # (FK7xx): where every format points them, before any definition found in the files.
    located: tuple[tuple[str, str, int], ...] = ()

    def counts(self) -> dict[str, int]:
        """Findings per severity label, every severity present (highest first)."""
        counted = Counter(f.severity for f in self.findings)
        return {s.label: counted.get(s, 0) for s in sorted(Severity, reverse=True)}

    def counts_by_rule(self) -> dict[str, int]:
        """Findings per rule code, in code order: every rule that ran (0 when it found
        nothing), and any other code a finding carries."""
        counted = Counter(f.code for f in self.findings)
        return {code: counted.get(code, 0) for code in sorted({*self.rules_run, *counted})}

    def top_rules(self) -> list[tuple[str, int]]:
        """(code, findings) of the rules that found something, most findings first (ties in
        code order), as ruff's `--statistics` sorts them."""
        counted = Counter(f.code for f in self.findings)
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))

    def exit_code(self, fail_on: Severity = Severity.WARNING) -> int:
        """0 nothing at or above `fail_on`; 1 findings at or above it; 2 the run was incomplete."""
        if self.errors:
            return EXIT_ERROR
        if any(f.severity >= fail_on for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_CLEAN
