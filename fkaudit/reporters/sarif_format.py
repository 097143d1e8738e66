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
import re
from collections.abc import Iterator
from functools import lru_cache
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
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_LABELS = {severity: severity.label for severity in Severity}  # `label` is a property
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)
_encode_string = json.encoder.encode_basestring  # the encoder's own, in C: no ASCII escapes


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


@lru_cache(maxsize=1024)  # a few paths, each the location of 1,000s of results
def _uri(path: str) -> str:
    """A relative URI reference, as code scanning wants (paths inside the repository); a file
    outside it (an absolute path) becomes a `file://` URI rather than a bare path."""
    return Path(path).as_uri() if path.startswith("/") else quote(path, safe="/")


# The values of a result, in the order they appear in its JSON text.
_VALUES = (
    "ruleId", "level", "text", "uri", "startLine", "name", "fullyQualifiedName", "kind",
    "fingerprint", "severity", "schema", "table", "constraint", "columns", "fix", "suggestion",
)  # fmt: skip


def _values(finding: Finding, fingerprint: str, where: SourceLine) -> tuple[Any, ...]:
    """What a result says of `finding`, by `_VALUES`."""
    text = finding.message
    if finding.fix:
        text += f"\nFix: {finding.fix}"
    return (
        finding.code,
        _LEVELS[finding.severity],
        text,
        _uri(where.path),
        where.line,
        finding.constraint or finding.table,
        finding.qualified_object,
        "member" if finding.constraint else "type",
        fingerprint,
        _LABELS[finding.severity],
        finding.schema,
        finding.table,
        finding.constraint,
        list(finding.columns),
        finding.fix,
        finding.suggestion,
    )


def _result(
    values: dict[str, Any], rule_index: int | None, baseline_state: str | None, suppressed: bool
) -> dict[str, Any]:
    """A SARIF result from its values (by name): the one statement of its structure."""
    result: dict[str, Any] = {
        "ruleId": values["ruleId"],
        "level": values["level"],
        "message": {"text": values["text"]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": values["uri"]},
                    "region": {"startLine": values["startLine"]},
                },
                "logicalLocations": [
                    {
                        "name": values["name"],
                        "fullyQualifiedName": values["fullyQualifiedName"],
                        "kind": values["kind"],
                    }
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: values["fingerprint"]},
        "properties": {
            "severity": values["severity"],
            "schema": values["schema"],
            "table": values["table"],
            "constraint": values["constraint"],
            "columns": values["columns"],
            "fix": values["fix"],
            "suggestion": values["suggestion"],
        },
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    if baseline_state:
        result["baselineState"] = baseline_state
    if suppressed:
        result["suppressions"] = [{"kind": "inSource", "justification": "fkaudit:ignore"}]
    return result


@lru_cache(maxsize=256)
def _template(rule_index: int | None, baseline_state: str | None, suppressed: bool) -> str:
    """The JSON text of a result of this shape as a format string, a `{}` for each value.

    Made by encoding `_result` with a marker for each value, so it cannot drift from it:
    filling it in with the encoded values is the text the encoder gives for the whole result,
    without building a dozen dictionaries per finding and walking them.
    """
    markers = {name: f"\0{i}\0" for i, name in enumerate(_VALUES)}
    text = _ENCODER.encode(_result(markers, rule_index, baseline_state, suppressed))
    parts = re.split(r'"\\u0000(\d+)\\u0000"', text)
    literals, found = parts[::2], parts[1::2]
    assert found == [str(i) for i in range(len(_VALUES))], found
    return "{}".join(literal.replace("{", "{{").replace("}", "}}") for literal in literals)


def _encoded(value: Any) -> str:
    """`value` as the encoder writes it, without its per-call set-up for the common types."""
    kind = value.__class__
    if kind is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is list:
        return "[" + ", ".join(map(_encoded, value)) + "]"
    return _ENCODER.encode(value)


def _result_line(
    finding: Finding,
    fingerprint: str,
    where: SourceLine,
    rule_index: int | None,
    baseline_state: str | None,
    suppressed: bool = False,
) -> str:
    """`finding`'s result as one printable line of JSON."""
    values = map(_encoded, _values(finding, fingerprint, where))
    line = _template(rule_index, baseline_state, suppressed).format(*values)
    return line if line.isprintable() else printable_json(line)


def _notification(error: RuleError, level: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": error.message}, "descriptor": {"id": error.code}}


def _results(report: Report, options: RenderOptions, rule_index: dict[str, int]) -> Iterator[str]:
    """The results, one line each, by finding order; suppressed findings (when shown) last."""
    fallback = SourceLine(report.database or "database")
    # Baseline states only when a baseline took part; `unchanged` findings stay visible as
    # results (code scanning would otherwise close their alerts as fixed).
    with_baseline = bool(report.baselined or report.stale_baseline)
    graded = [(f, "new" if with_baseline else None) for f in report.findings]
    graded += [(f, "unchanged") for f in report.baselined]
    graded.sort(key=lambda pair: pair[0].sort_key())
    for f, state in graded:
        fingerprint = f.fingerprint  # a hash, computed on every read
        where = options.location(fingerprint) or fallback
        yield _result_line(f, fingerprint, where, rule_index.get(f.code), state)
    if options.show_suppressed:
        for f in report.suppressed:
            fingerprint = f.fingerprint
            where = options.location(fingerprint) or fallback
            yield _result_line(f, fingerprint, where, rule_index.get(f.code), None, True)


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
    lines = json_items(_results(report, options, rule_index), "        ")
    first = next(lines, None)
    if first is None:
        yield printable_json(f'{head}"results": []{tail}\n')
        return
    yield printable_json(f'{head}"results": [\n')
    yield first
    yield from lines
    yield printable_json(f"      ]{tail}\n")
