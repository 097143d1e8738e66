"""Baselines: accept today's findings so that CI fails only on new ones.

A baseline file lists the fingerprints of accepted findings (rule code plus the object's
qualified identity, see `Finding.fingerprint`), one JSON object per line, sorted by object,
so that a change to it reads well in a diff. Messages and counts are not stored: they change
with row counts and would make every rewrite noisy.

Comparing a report with a baseline moves accepted findings to `Report.baselined` and lists the
entries nothing matched any more as `Report.stale_baseline` (fixed since). An entry is judged
only when this run could have found it again: its rule ran and its table was in scope. That
keeps a run with `--select FK1` or `--table orders` from calling every other entry stale, and
keeps `--update-baseline` from dropping them. Orphaned-row (FK501) entries are judged only by a
complete `--orphans all` run, the only one that looks at every key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from fkaudit.catalog.scope import Scope
from fkaudit.config import Config
from fkaudit.engine import Report
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding

FORMAT_VERSION = 1
_HEADER = "fkaudit-baseline"


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
        return cls(finding.schema, finding.table, finding.constraint, finding.code,
                   finding.fingerprint)  # fmt: skip

    def sort_key(self) -> tuple[str, str, str, str, str]:
        return (self.schema, self.table, self.constraint or "", self.code, self.fingerprint)

    @property
    def qualified_object(self) -> str:
        return ".".join(p for p in (self.schema, self.table, self.constraint) if p)


# Decides whether this run could have reported an entry again (see the module docstring).
Judged = Callable[[BaselineEntry], bool]


def judge(report: Report, scope: Scope, config: Config, orphans: str = "suspect") -> Judged:
    """Entries this run could have reported: rule run, table in scope, not excluded.

    FK501 (orphaned rows) entries are judged only by a complete `--orphans all` run: other
    runs scan some keys or none, so a missing FK501 finding there says nothing.
    """
    ran = set(report.rules_run)
    scanned_all = orphans == "all" and not report.incomplete
    return lambda e: (
        e.code in ran
        and (scanned_all or e.code != "FK501")
        and scope.includes(e.schema, e.table)
        and not config.excludes(e.code, e.schema, e.table, e.constraint)
    )


def load_baseline(path: Path) -> tuple[BaselineEntry, ...]:
    """Read a baseline file; a missing or malformed one is an error that names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FkauditError(
            f"baseline file {path} does not exist (create it with: fkaudit baseline {path} DSN)"
        ) from None
    except OSError as exc:
        raise FkauditError(f"cannot read baseline file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
        if data.get(_HEADER) != FORMAT_VERSION:
            raise ValueError(f'expected "{_HEADER}": {FORMAT_VERSION}')
        return tuple(
            BaselineEntry(
                schema=_text(item, "schema"), table=_text(item, "table"),
                constraint=item.get("constraint"), code=_text(item, "rule"),
                fingerprint=_text(item, "fingerprint"),
            )
            for item in data["findings"]
        )
    except json.JSONDecodeError as exc:
        raise FkauditError(f"{path}:{exc.lineno}: not a baseline file: {exc.msg}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FkauditError(f"{path}: not a fkaudit baseline file: {exc}") from None


def _text(item: dict[str, object], key: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, not {value!r}")
    return value


def render_baseline(entries: Iterable[BaselineEntry]) -> str:
    """The file text: sorted, one entry per line, stable keys — a diff shows what changed."""
    lines = [
        json.dumps(
            {"rule": e.code, "schema": e.schema, "table": e.table, "constraint": e.constraint,
             "fingerprint": e.fingerprint},
            ensure_ascii=False,
        )
        for e in sorted(set(entries), key=BaselineEntry.sort_key)
    ]
    body = ",\n".join(f"    {line}" for line in lines)
    return f'{{\n  "{_HEADER}": {FORMAT_VERSION},\n  "findings": [\n{body}\n  ]\n}}\n'


def write_baseline(path: Path, entries: Iterable[BaselineEntry]) -> None:
    try:
        path.write_text(render_baseline(entries), encoding="utf-8")
    except OSError as exc:
        raise FkauditError(f"cannot write baseline file {path}: {exc.strerror}") from None


def compare(report: Report, baseline: Iterable[BaselineEntry], judged: Judged) -> Report:
    """The report with accepted findings set aside and the judged, unmatched entries as stale."""
    accepted = {entry.fingerprint for entry in baseline}
    # A suppressed finding is still there: its entry is redundant, not fixed.
    found = {f.fingerprint for f in (*report.findings, *report.suppressed)}
    return replace(
        report,
        findings=tuple(f for f in report.findings if f.fingerprint not in accepted),
        baselined=tuple(f for f in report.findings if f.fingerprint in accepted),
        stale_baseline=tuple(
            sorted(
                (e for e in set(baseline) if e.fingerprint not in found and judged(e)),
                key=BaselineEntry.sort_key,
            )
        ),
    )


def updated(
    baseline: Iterable[BaselineEntry], report: Report, judged: Judged
) -> tuple[BaselineEntry, ...]:
    """The new baseline: this run's findings, plus the old entries this run could not judge
    (or whose findings are now suppressed: the comment may go, the acceptance stays)."""
    suppressed = {f.fingerprint for f in report.suppressed}
    kept = [e for e in baseline if not judged(e) or e.fingerprint in suppressed]
    current = map(BaselineEntry.of, (*report.findings, *report.baselined))
    return tuple(sorted({*kept, *current}, key=BaselineEntry.sort_key))
