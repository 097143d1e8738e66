"""`--format json`: `{"findings": [...], "summary": {...}}`, stable keys, for machines."""

from __future__ import annotations

import json
from typing import Any

from fkaudit.escape import printable_json
from fkaudit.findings import Finding, ImpliedKeyDetails, OrphanDetails
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions

# One encoder for all findings: json.dumps() with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    data = _fields(finding)
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


def _fields(finding: Finding) -> dict[str, Any]:
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
        "fingerprint": finding.fingerprint,
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
        "foreign_keys_inspected": report.foreign_keys_inspected,
        "tables_inspected": report.tables_inspected,
        "rules": list(report.rules_run),
        "errors": [{"code": e.code, "message": e.message} for e in report.errors],
        "incomplete": [{"code": e.code, "message": e.message} for e in report.incomplete],
        "database": report.database,
        "server_version": report.server_version,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def _array(findings: tuple[Finding, ...]) -> str:
    lines = ",\n".join("    " + _ENCODER.encode(finding_to_dict(f)) for f in findings)
    return f"[\n{lines}\n  ]" if lines else "[]"


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    """One finding per line: diff-friendly, and fast (an indented dump is pure Python).

    Findings accepted by a baseline are listed under "baselined", apart from the new ones.
    """
    lists = [("findings", report.findings)]
    if options.show_suppressed:
        lists.append(("suppressed", report.suppressed))
    if report.baselined:
        lists.append(("baselined", report.baselined))
    arrays = "".join(f'\n  "{key}": {_array(findings)},' for key, findings in lists)
    return printable_json(
        f'{{{arrays}\n  "summary": {_ENCODER.encode(summary_to_dict(report))}\n}}'
    )
