"""Findings: the frozen values rules produce and reporters format.

A finding is about one object (usually a foreign key) and carries everything a reporter needs, so
formatting stays a pure function of the findings. The fingerprint is built from the rule code and
the object's qualified identity only — never OIDs, row counts or ordering — so a baseline or a
suppression keeps matching across unrelated schema changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, ClassVar

from fkaudit.escape import printable


class Severity(enum.IntEnum):
    """Orderable severity; a larger value is worse."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a user-supplied severity name (case-insensitive)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Details(Mapping[str, Any]):
    """Typed details, for a rule whose details a reporter reads: fields, not string keys.

    A subclass is a frozen dataclass; it still reads as the mapping `Finding.details` is for
    every rule (`details["orphan_count"]`, `dict(details)` in JSON), in field order.
    """

    def __getitem__(self, key: str) -> Any:
        if key not in _field_names(type(self)):
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_field_names(type(self)))

    def __len__(self) -> int:
        return len(_field_names(type(self)))


@cache
def _field_names(kind: type[Details]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


class RecordDetails(Mapping[str, Any]):
    """Details as a slotted record, for the rules that write a finding per key (FK101, FK201):
    a dict each cost 130-180 bytes more, 13 MB at 100,000 keys. A subclass names its keys in
    `_fields`, in the order a dict would have had them, and makes them its `__slots__`; it
    reads, converts and compares (`==`) as that dict."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, key: str) -> Any:
        if key not in self._fields:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return repr(dict(self))


class SuggestedName(RecordDetails):
    """FK201, FK202: the name a rename suggests."""

    _fields = ("suggested_name",)
    __slots__ = _fields

    def __init__(self, suggested_name: str) -> None:
        self.suggested_name = suggested_name


@dataclass(frozen=True)
class OrphanDetails(Details):
    """FK501: what the scan of one foreign key found."""

    orphan_count: int  # exact, or scaled up from a page sample
    samples: Sequence[Mapping[str, Any]]  # up to `--samples` orphan keys: column -> value
    query: str  # lists every orphan
    estimated: bool  # the count comes from a page sample (`--sample`)
    sample_percent: float | None


@dataclass(frozen=True)
class ImpliedKeyDetails(Details):
    """FK502: the reference a column seems to make, and its orphans when it was scanned."""

    referenced_table: str  # schema-qualified, as printed
    referenced_column: str
    orphan_count: int | None  # None: not scanned (`--orphans off`, or the scan failed)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found on one database object.

    Slotted: a run on 100,000 foreign keys holds over 100,000 of them, and a `__dict__` each
    cost 25 MB.
    """

    code: str
    name: str
    severity: Severity
    schema: str
    table: str
    constraint: str | None
    columns: tuple[str, ...]
    message: str
    fix: str | None = None  # SQL that fixes it mechanically
    suggestion: str | None = None  # SQL that fixes it once a person has decided it should
    details: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # The rule could not run this check on the object (the message says why): not a finding
    # but an incomplete run, which the engine reports as such after suppressions apply.
    unchecked: bool = False

    def __post_init__(self) -> None:
        """Keep what every format prints on one line (messages quote names and row values).

        Statements are composed one line each (`fkaudit.escape.printable_sql`); one that is not
        would be a bug, and it must not reach a script or a log.
        """
        if not self.message.isprintable():
            object.__setattr__(self, "message", printable(self.message))
        for statement in (self.fix, self.suggestion):
            if statement and not all(line.isprintable() for line in statement.split("\n")):
                raise ValueError(
                    f"{self.code}: a statement is not printable text: {printable(statement)}"
                )

    @property
    def fingerprint(self) -> str:
        """Stable identity of (rule, object), independent of counts, OIDs and order."""
        # Imported here: `fkaudit --help` and `fkaudit rules` import this module and never
        # need a fingerprint (hashlib loads OpenSSL).
        import hashlib
        import json

        # JSON, not a separator character: a quoted name may contain any separator.
        identity = json.dumps([self.code, self.schema, self.table, self.constraint])
        return hashlib.sha256(identity.encode()).hexdigest()[:16]

    @property
    def qualified_object(self) -> str:
        """`schema.table.constraint` (or `schema.table`), for people and logical locations."""
        parts = [self.schema, self.table]
        if self.constraint:
            parts.append(self.constraint)
        return ".".join(parts)

    def sort_key(self) -> tuple[str, str, str, str]:
        """Deterministic order: by object, then rule code."""
        return (self.schema, self.table, self.constraint or "", self.code)
