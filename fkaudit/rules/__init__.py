"""Rules: one file per rule, discovered automatically.

A rule module is named `fk<NNN>_<rule_name>.py` (the rule's name with `-` as `_`, e.g.
`fk101_unindexed_foreign_key.py`), defines one rule class, and its module docstring is the
rule's documentation (what it does / why it matters / how to fix / example / known limits),
printed by `fkaudit explain CODE` and generated into docs/rules.md. Adding a rule means adding
that file and its test cases (tests/cases/*.sql); nothing else is registered by hand.

A rule declares its kind by the class it extends, and the engine calls each kind its own way:

- `ForeignKeyRule`: judges one foreign key at a time (`check_fk`); the engine loops over the
  inspected foreign keys. Most rules are this kind, and a new one is usually this kind too.
- `CatalogRule`: judges the catalog as a whole (`check`): cascade graphs, cycles.
- `DataRule`: needs the rows (FK501 orphans, FK502 implied keys): it names the keys the data
  auditor scans (`keys_to_scan`) and turns each scan's result into findings (`scanned`).
- `MetaRule`: judges the run itself (FK001: `fkaudit:ignore` comments that suppressed
  nothing), after the other rules ran and suppressions were applied.
- `ChangeRule`: judges a change under review (FK7xx: `check --migrations DIR --new-since
  FILE`): the new migrations as they were replayed statement by statement, and the audits of
  the schema before and after them (`fkaudit.changes`). Silent in any other run.
"""

from __future__ import annotations

import abc
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Details, Finding, RecordDetails, Severity
from fkaudit.selectors import find

if TYPE_CHECKING:
    from fkaudit.changes.observe import Change, Located
    from fkaudit.orphans.scan import OrphanCount
    from fkaudit.suppressions import SuppressionOutcome

_TYPED = (Details, RecordDetails)  # details a finding keeps as they are, not as a dict
_RULE_MODULE = re.compile(r"^fk\d{3}_\w+$")


class Rule(abc.ABC):
    """What every rule has: a stable code, an anti-pattern name, a default severity, options.

    Rules extend one of the kinds below, never this class directly: the kind says when the
    engine calls the rule and with what.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    default_severity: ClassVar[Severity]
    # Opt-in rules run only when selected by exact code or name, or configured.
    enabled_by_default: ClassVar[bool] = True
    # Configurable options and their defaults; a configured value must have the default's type.
    option_defaults: ClassVar[Mapping[str, Any]] = {}
    # The catalog must also hold the columns that look like references (FK502): reading them
    # costs a scan of pg_attribute, so only a run with such a rule pays for it.
    reads_implied_references: ClassVar[bool] = False

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        self.severity = severity or self.default_severity
        self.options: Mapping[str, Any] = {**self.option_defaults, **(options or {})}

    def bind(self, rules: Sequence[Rule]) -> None:  # noqa: B027 - a hook, empty by default
        """Called once with every rule of the run, for rules that must agree with another."""

    @classmethod
    def documentation(cls) -> str:
        return (sys.modules[cls.__module__].__doc__ or "").strip()

    @classmethod
    def summary(cls) -> str:
        lines = cls.documentation().splitlines()
        return lines[0].strip() if lines else ""

    def finding_for(
        self,
        catalog: Catalog,
        fk: ForeignKey,
        message: str,
        *,
        fix: str | None = None,
        suggestion: str | None = None,
        columns: Sequence[str] | None = None,
        severity: Severity | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding about foreign key `fk`, located at its referencing table."""
        table = catalog.table(fk.table_oid)
        if columns is None:
            columns = [table.column(n).name for n in fk.attnums]
        return Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            schema=table.schema,
            table=table.name,
            constraint=fk.name,
            columns=tuple(columns),
            message=message,
            fix=fix,
            suggestion=suggestion,
            details=details if isinstance(details, _TYPED) else dict(details or {}),
        )

    def unchecked_for(self, catalog: Catalog, fk: ForeignKey, reason: str) -> Finding:
        """This check could not run on `fk`: the run is incomplete, never silently clean.

        `reason` says why and what would let it run (a GRANT, a retry).
        """
        return replace(self.finding_for(catalog, fk, reason), unchecked=True)


class ForeignKeyRule(Rule):
    """A rule that judges one foreign key at a time: the engine calls `check_fk` for each
    inspected foreign key (in scope, partition clones left out), in catalog order."""

    def start(self, catalog: Catalog) -> None:
        """Called once per catalog before the first `check_fk`, for state shared by the keys
        of one run (names already taken, indexes already reported)."""

    @abc.abstractmethod
    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        """The findings about `fk`; never touches the database."""

    def finish(self, catalog: Catalog) -> None:
        """Called once after the last `check_fk` of a catalog, to let go of what `start`
        built: the names of a whole database (FK201's, 12 MB at 100,000 keys) need not stay
        alive while the other rules run and the report is written."""


class CatalogRule(Rule):
    """A rule that judges the catalog as a whole (a cascade graph), not key by key."""

    @abc.abstractmethod
    def check(self, catalog: Catalog) -> Iterator[Finding]:
        """The findings of this rule; never touches the database."""


class DataRule(Rule):
    """A rule whose verdict needs the rows: the data auditor scans the keys it names for
    orphans (`--orphans`), read-only, and hands each result back to it.

    With `--orphans off` only `check` runs; when the keys are scanned, the findings of
    `scanned` and `unscanned` replace those of `check`.
    """

    def check(self, catalog: Catalog) -> Iterator[Finding]:
        """What the catalog alone shows, before (or without) any scan: nothing by default."""
        return iter(())

    @abc.abstractmethod
    def keys_to_scan(self, catalog: Catalog, mode: str) -> list[ForeignKey]:
        """The keys to scan under `--orphans mode` ("suspect" or "all"): real foreign keys, or
        keys the rule made up (`ForeignKey.implied`)."""

    @abc.abstractmethod
    def scanned(self, catalog: Catalog, result: OrphanCount) -> Finding | None:
        """The finding for a completed scan of one of this rule's keys, if any."""

    def unscanned(self, catalog: Catalog, fk: ForeignKey) -> Finding | None:
        """The finding for a key whose scan did not complete (an error of the run already says
        so): what is known without the rows, if anything."""
        return None


class MetaRule(Rule):
    """A rule about the run itself: judged after the other rules ran and suppressions applied,
    so no `fkaudit:ignore` comment can suppress its findings."""

    @abc.abstractmethod
    def judge(self, outcome: SuppressionOutcome) -> Iterator[Finding]:
        """Findings about the run's `fkaudit:ignore` directives and what they suppressed."""


class ChangeRule(Rule):
    """A rule about a change under review: what the new migrations did, observed statement by
    statement on a throwaway server, and what the schema after them has that the one before did
    not. It runs only in a review (`--new-since`, `--base-ref`); an audit never calls it."""

    @abc.abstractmethod
    def review(self, change: Change) -> Iterator[Located]:
        """Findings about the change, each at the statement (file and line) that caused it."""


# Every rule extends exactly one of these; the engine and the API dispatch on them.
KINDS: tuple[type[Rule], ...] = (ForeignKeyRule, CatalogRule, DataRule, MetaRule, ChangeRule)


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class shipped in this package, ordered by code."""
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        if not _RULE_MODULE.match(module_info.name):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        found.extend(
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
        )
    return tuple(sorted(found, key=lambda rule: rule.code))


def rule_by_code(code: str) -> type[Rule] | None:
    """Look a rule up by code (`FK101`) or name (`unindexed-foreign-key`)."""
    return find(code, all_rules())
