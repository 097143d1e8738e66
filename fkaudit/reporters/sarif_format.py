"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

GitHub code scanning rejects results without a physical location, and a database object has no
file of its own: every result points at the artifact of `RenderOptions` (the schema file, or
`--sarif-artifact`; at the line that defines the object when it was found there), and carries
the object itself as a logical location (`schema.table.constraint`). `partialFingerprints` holds
the finding fingerprint, so an alert keeps its identity across runs and line moves. `rules[]`
describes every rule that ran, with its documentation as help text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fkaudit import __version__
from fkaudit.docgen import rule_markdown, sections
from fkaudit.escape import printable_json
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report, RuleError
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, SourceLine
from fkaudit.reporters.json_format import json_items
from fkaudit.rules import Rule, rule_by_code

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "fkaudit/v1"
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    summary, titled = sections(rule.documentation())
    what = dict(titled).get("What it does", summary)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": rule.documentation(), "markdown": rule_markdown(rule)},
        "defaultConfiguration": {
            "level": _LEVELS[rule.default_severity],
            "enabled": rule.enabled_by_default,
        },
        "properties": {"tags": ["postgresql", "foreign-key"]},
    }


def _uri(path: str) -> str:
    """A relative URI reference, as code scanning wants (paths inside the repository); a file
    outside it (an absolute path) becomes a `file://` URI rather than a bare path."""
    return Path(path).as_uri() if path.startswith("/") else quote(path, safe="/")


def _result(
    finding: Finding, rule_index: dict[str, int], where: SourceLine, baseline_state: str | None
) -> dict[str, Any]:
    text = finding.message
    if finding.fix:
        text += f"\nFix: {finding.fix}"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(where.path)},
                    "region": {"startLine": where.line},
                },
                "logicalLocations": [
                    {
                        "name": finding.constraint or finding.table,
                        "fullyQualifiedName": finding.qualified_object,
                        "kind": "member" if finding.constraint else "type",
                    }
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.label,
            "schema": finding.schema,
            "table": finding.table,
            "constraint": finding.constraint,
            "columns": list(finding.columns),
            "fix": finding.fix,
            "suggestion": finding.suggestion,
        },
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if baseline_state:
        result["baselineState"] = baseline_state
    return result


def _notification(error: RuleError, level: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": error.message}, "descriptor": {"id": error.code}}


def _results(
    report: Report, options: RenderOptions, rule_index: dict[str, int]
) -> Iterator[dict[str, Any]]:
    """The results, by finding order; suppressed findings (when shown) last."""
    fallback = SourceLine(report.database or "database")
    # Baseline states only when a baseline took part; `unchanged` findings stay visible as
    # results (code scanning would otherwise close their alerts as fixed).
    with_baseline = bool(report.baselined or report.stale_baseline)
    graded = [(f, "new" if with_baseline else None) for f in report.findings]
    graded += [(f, "unchanged") for f in report.baselined]
    graded.sort(key=lambda pair: pair[0].sort_key())
    for f, state in graded:
        yield _result(f, rule_index, options.location(f.fingerprint) or fallback, state)
    if options.show_suppressed:
        for f in report.suppressed:
            result = _result(f, rule_index, options.location(f.fingerprint) or fallback, None)
            result["suppressions"] = [{"kind": "inSource", "justification": "fkaudit:ignore"}]
            yield result


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """The SARIF log as JSON: rules and run details indented, one result per line."""
    rules = [rule for code in report.rules_run if (rule := rule_by_code(code)) is not None]
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    notifications = [_notification(e, "error") for e in report.errors]
    notifications += [_notification(e, "warning") for e in report.incomplete]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fkaudit",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not report.errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [],  # the results are written in its place, one per line
                "properties": {
                    "database": report.database,
                    "serverVersion": report.server_version,
                    "foreignKeysInspected": report.foreign_keys_inspected,
                    "tablesInspected": report.tables_inspected,
                    "staleBaseline": [
                        {
                            "ruleId": e.code,
                            "object": e.qualified_object,
                            "fingerprint": e.fingerprint,
                        }
                        for e in report.stale_baseline
                    ],
                },
            }
        ],
    }
    # The small parts indented for people; the results one per line, by the C encoder: an
    # indented dump is pure Python and took a second for 10,000 findings. A quote inside a JSON
    # string is escaped, so `"results": []` in the skeleton can only be the key itself.
    skeleton = json.dumps(log, indent=2, ensure_ascii=False)
    head, _, tail = skeleton.partition('"results": []')
    results = (_ENCODER.encode(result) for result in _results(report, options, rule_index))
    lines = json_items(results, "        ")
    first = next(lines, None)
    if first is None:
        yield printable_json(f'{head}"results": []{tail}\n')
        return
    yield printable_json(f'{head}"results": [\n')
    yield printable_json(first)
    yield from map(printable_json, lines)
    yield printable_json(f"      ]{tail}\n")
