"""`--format json`: `{"findings": [...], "summary": {...}}`, stable keys, for machines."""

from __future__ import annotations

import json
from typing import Any

from fkaudit.engine import Report
from fkaudit.findings import Finding


def finding_to_dict(finding: Finding) -> dict[str, Any]:
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
        "fingerprint": finding.fingerprint,
        "details": dict(finding.details),
    }


def summary_to_dict(report: Report) -> dict[str, Any]:
    return {
        "findings": len(report.findings),
        "by_severity": report.counts(),
        "foreign_keys_inspected": report.foreign_keys_inspected,
        "tables_inspected": report.tables_inspected,
        "rules": list(report.rules_run),
        "errors": [{"code": e.code, "message": e.message} for e in report.errors],
        "database": report.database,
        "server_version": report.server_version,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
    }


def render(report: Report) -> str:
    document = {
        "findings": [finding_to_dict(f) for f in report.findings],
        "summary": summary_to_dict(report),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
