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
from dataclasses import replace
from pathlib import Path

from fkaudit.catalog.scope import Scope
from fkaudit.config import Config
from fkaudit.errors import FkauditError
from fkaudit.report import BaselineEntry, Report
from fkaudit.settings import Resolved

FORMAT_VERSION = 1
_HEADER = "fkaudit-baseline"


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
    """Read a baseline file; a missing or malformed one is an error that names the file and
    says what is wrong in it (which entry, which field), never how Python failed."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FkauditError(
            f"baseline file {path} does not exist (create it with: fkaudit baseline {path} DSN)"
        ) from None
    except OSError as exc:
        raise FkauditError(f"cannot read baseline file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FkauditError(
            f"{path}: not a fkaudit baseline file: not UTF-8 text (byte 0x{raw[exc.start]:02x} "
            f"at offset {exc.start})"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FkauditError(f"{path}:{exc.lineno}: not a baseline file: {exc.msg}") from None
    except RecursionError:
        raise FkauditError(f"{path}: not a baseline file: JSON nested too deeply") from None
    try:
        return _entries(data)
    except _BadShape as exc:
        raise FkauditError(f"{path}: not a fkaudit baseline file: {exc}") from None


class _BadShape(ValueError):
    """What is wrong with a parsed baseline, in the file's own terms."""


_FIELDS = ("rule", "schema", "table", "constraint", "fingerprint")


def _entries(data: object) -> tuple[BaselineEntry, ...]:
    """The entries of a parsed baseline file, after checking every level of its shape."""
    if not isinstance(data, dict):
        raise _BadShape(
            f'expected a JSON object with "{_HEADER}": {FORMAT_VERSION} and "findings", '
            f"found {_kind(data)}"
        )
    if data.get(_HEADER) != FORMAT_VERSION:
        found = f"found {_kind(data[_HEADER])}" if _HEADER in data else "it is missing"
        raise _BadShape(f'expected "{_HEADER}": {FORMAT_VERSION}, {found}')
    if "findings" not in data:
        raise _BadShape('"findings" is missing')
    findings = data["findings"]
    if not isinstance(findings, list):
        raise _BadShape(f'"findings" must be a list, found {_kind(findings)}')
    return tuple(_entry(item, f"findings[{n}]") for n, item in enumerate(findings))


def _entry(item: object, where: str) -> BaselineEntry:
    if not isinstance(item, dict):
        raise _BadShape(f"{where} must be an object, found {_kind(item)}")
    missing = [key for key in _FIELDS if key not in item]
    if missing:
        raise _BadShape(f"{where} has no {', '.join(repr(k) for k in missing)}")
    for key in _FIELDS:
        value = item[key]
        if not isinstance(value, str) and not (key == "constraint" and value is None):
            expected = "a string or null" if key == "constraint" else "a string"
            raise _BadShape(f"{where}.{key} must be {expected}, found {_kind(value)}")
    return BaselineEntry(
        schema=item["schema"],
        table=item["table"],
        constraint=item["constraint"],
        code=item["rule"],
        fingerprint=item["fingerprint"],
    )


def _kind(value: object) -> str:
    """A JSON value as a reader of the file would name it: null, a list, the number 5..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40], ensure_ascii=False)}"
    return "a list" if isinstance(value, list) else "an object"


def render_baseline(entries: Iterable[BaselineEntry]) -> str:
    """The file text: sorted, one entry per line, stable keys — a diff shows what changed."""
    lines = [
        json.dumps(
            {
                "rule": e.code,
                "schema": e.schema,
                "table": e.table,
                "constraint": e.constraint,
                "fingerprint": e.fingerprint,
            },
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


def apply_baseline(
    report: Report, entries: tuple[BaselineEntry, ...], settings: Resolved, orphans: str
) -> Report:
    """`report` with the findings `entries` accept moved aside and the stale entries listed.

    Only entries this run could have found again are judged (see the module docstring)."""
    return compare(report, entries, judge(report, settings.scope, settings.config, orphans))
