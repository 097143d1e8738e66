"""`--format json`: `{"findings": [...], "summary": {...}}`, stable keys, for machines.

Each finding carries `location`: `{"path": ..., "line": ...}` of the statement that defines its
object when the SQL files were searched (`--schema-file`, `--migrations`, `--sarif-artifact`)
and it was found there, else null.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fkaudit.escape import printable_json
from fkaudit.findings import Finding, ImpliedKeyDetails, OrphanDetails
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, SourceLine

# One encoder for all findings: json.dumps() with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)  # trees, never cycles


def finding_to_dict(
    finding: Finding, locations: Mapping[str, SourceLine] | None = None
) -> dict[str, Any]:
    """The finding's JSON object; `locations` (by fingerprint) gives its `location`."""
    data = _fields(finding, locations or {})
    data.update(_scan_results(finding))
    return data


def _scan_results(finding: Finding) -> dict[str, Any]:
    """Data-rule results shown as top-level fields of the finding, not only inside `details`:
    what a script reading the JSON looks for first."""
    details = finding.details
    if isinstance(details, OrphanDetails):
        return {
            "orphan_count": details.orphan_count,
            "samples": details.samples,
            "query": details.query,
            "estimated": details.estimated,
        }
    if isinstance(details, ImpliedKeyDetails):
        return {"orphan_count": details.orphan_count}
    return {}


def _fields(finding: Finding, locations: Mapping[str, SourceLine]) -> dict[str, Any]:
    fingerprint = finding.fingerprint  # a hash, computed on every read
    where = locations.get(fingerprint) if locations else None
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "schema": finding.schema,
        "table": finding.table,
        "constraint": finding.constraint,
        "columns": list(finding.columns),
        "message": finding.message,
        "fix": finding.fix,
        "suggestion": finding.suggestion,
        "fingerprint": fingerprint,
        "location": None if where is None else {"path": where.path, "line": where.line},
        "details": dict(finding.details),
    }


def summary_to_dict(report: Report) -> dict[str, Any]:
    return {
        "findings": len(report.findings),
        "suppressed": len(report.suppressed),
        "baselined": len(report.baselined),
        "stale_baseline": [
            {"rule": e.code, "object": e.qualified_object, "fingerprint": e.fingerprint}
            for e in report.stale_baseline
        ],
        "by_severity": report.counts(),
        "by_rule": report.counts_by_rule(),
        "foreign_keys_inspected": report.foreign_keys_inspected,
        "tables_inspected": report.tables_inspected,
        "rules": list(report.rules_run),
        "errors": [{"code": e.code, "message": e.message} for e in report.errors],
        "incomplete": [{"code": e.code, "message": e.message} for e in report.incomplete],
        "database": report.database,
        "server_version": report.server_version,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def one_line(value: Any) -> str:
    """`value` as JSON on one printable line (`printable_json`; most values need nothing)."""
    text = _ENCODER.encode(value)
    return text if text.isprintable() else printable_json(text)


def json_items(encoded: Iterable[str], indent: str) -> Iterator[str]:
    """The lines of a JSON array's items, one item each: `indent`, the item, a comma between.

    The comma needs to know whether another item follows, so each line is held until the next
    item arrives (or the items end)."""
    held: str | None = None
    for item in encoded:
        if held is not None:
            yield f"{indent}{held},\n"
        held = item
    if held is not None:
        yield f"{indent}{held}\n"


def _array(
    key: str, findings: tuple[Finding, ...], locations: Mapping[str, SourceLine]
) -> Iterator[str]:
    if not findings:
        yield f'  "{key}": [],\n'
        return
    yield f'  "{key}": [\n'
    yield from json_items((one_line(finding_to_dict(f, locations)) for f in findings), "    ")
    yield "  ],\n"


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """One finding per line: diff-friendly, and fast (an indented dump is pure Python).

    Findings accepted by a baseline are listed under "baselined", apart from the new ones.
    Each finding is escaped by `printable_json` on its own, which maps character by character:
    the same text as escaping the whole document.
    """
    lists = [("findings", report.findings)]
    if options.show_suppressed:
        lists.append(("suppressed", report.suppressed))
    if report.baselined:
        lists.append(("baselined", report.baselined))
    yield "{\n"
    for key, findings in lists:
        yield from _array(key, findings, options.locations)
    yield f'  "summary": {one_line(summary_to_dict(report))}\n}}\n'
