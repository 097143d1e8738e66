"""Rules: one file per rule, discovered automatically.

A rule module is named `fk<NNN>_<topic>.py`, defines one `Rule` subclass, and its module docstring
is the rule's documentation (what it does / why it matters / how to fix / example / known limits),
printed by `fkaudit explain CODE`. Adding a rule means adding that file and its test cases; nothing
else is registered by hand.
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
from typing import Any, ClassVar

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.selectors import find

_RULE_MODULE = re.compile(r"^fk\d{3}_\w+$")


class Rule(abc.ABC):
    """Base class: a stable code, an anti-pattern name, a default severity and `check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    default_severity: ClassVar[Severity]
    # Opt-in rules run only when selected by exact code or name, or configured.
    enabled_by_default: ClassVar[bool] = True
    # Configurable options and their defaults; a configured value must have the default's type.
    option_defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        self.severity = severity or self.default_severity
        self.options: Mapping[str, Any] = {**self.option_defaults, **(options or {})}

    @abc.abstractmethod
    def check(self, catalog: Catalog) -> Iterator[Finding]:
        """Yield the findings of this rule; never touches the database."""

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
            details=dict(details or {}),
        )

    def unchecked_for(self, catalog: Catalog, fk: ForeignKey, reason: str) -> Finding:
        """This check could not run on `fk`: the run is incomplete, never silently clean.

        `reason` says why and what would let it run (a GRANT, a retry).
        """
        return replace(self.finding_for(catalog, fk, reason), unchecked=True)


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
