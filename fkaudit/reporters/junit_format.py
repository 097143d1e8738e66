"""`--format junit`: JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One test suite per rule that ran and one test case per (rule, foreign key) inspected, so a
report shows what passed, not only what failed. Findings on other objects (a table's cascade
depth, a column that looks like a key) add test cases of their own. A case fails when a finding
on it is at or above the fail level — the same judgement as the exit code; findings below it,
or accepted by a baseline, are written to the case's output and it passes. A rule that could not
run, or a scan that did not complete, is an `<error>` case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from fkaudit.engine import Report, RuleError
from fkaudit.findings import Finding
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions
from fkaudit.rules import rule_by_code

ObjectKey = tuple[str, str, str]


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: PostgreSQL names may hold control characters, XML may not."""
    return "".join(
        ch if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd")
        or ch >= "\U00010000" else f"\\x{ord(ch):02x}"
        for ch in text
    )  # fmt: skip


def _key(finding: Finding) -> ObjectKey:
    return (finding.schema, finding.table, finding.constraint or "")


def _case_name(key: ObjectKey) -> str:
    return xml_text(".".join(part for part in key if part))


def _describe(finding: Finding) -> str:
    lines = [f"{finding.severity.label}: {finding.message}"]
    lines += [f"{label}: {sql}" for label, sql in (("fix", finding.fix),
                                                   ("suggestion", finding.suggestion)) if sql]
    return xml_text("\n".join(lines))


def _suite(
    code: str,
    keys: list[ObjectKey],
    found: dict[ObjectKey, list[Finding]],
    accepted: dict[ObjectKey, list[Finding]],
    errors: list[tuple[RuleError, str]],
    options: RenderOptions,
) -> ET.Element:
    rule = rule_by_code(code)
    suite = ET.Element("testsuite", name=f"{code} {rule.name}" if rule else code)
    failures = 0
    for key in keys:
        case = ET.SubElement(suite, "testcase", classname=f"fkaudit.{code}", name=_case_name(key))
        failing = [f for f in found.get(key, ()) if f.severity >= options.fail_on]
        if failing:
            failures += 1
            failure = ET.SubElement(case, "failure", type=failing[0].severity.label,
                                    message=xml_text(failing[0].message))  # fmt: skip
            failure.text = "\n\n".join(_describe(f) for f in failing)
        passing = [f for f in found.get(key, ()) if f.severity < options.fail_on]
        notes = [_describe(f) for f in passing]
        notes += [f"accepted by the baseline: {_describe(f)}" for f in accepted.get(key, ())]
        if notes:
            ET.SubElement(case, "system-out").text = "\n\n".join(notes)
    for error, kind in errors:
        case = ET.SubElement(suite, "testcase", classname=f"fkaudit.{code}", name=kind)
        tag = "error" if kind == "error" else "skipped"
        ET.SubElement(case, tag, message=xml_text(error.message))
    suite.set("tests", str(len(keys) + len(errors)))
    suite.set("failures", str(failures))
    suite.set("errors", str(sum(kind == "error" for _, kind in errors)))
    suite.set("skipped", str(sum(kind != "error" for _, kind in errors)))
    return suite


def _by_rule_and_object(findings: tuple[Finding, ...]) -> dict[str, dict[ObjectKey, list[Finding]]]:
    grouped: dict[str, dict[ObjectKey, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        grouped[finding.code][_key(finding)].append(finding)
    return grouped


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    found = _by_rule_and_object(report.findings)
    accepted = _by_rule_and_object(report.baselined)
    problems: dict[str, list[tuple[RuleError, str]]] = defaultdict(list)
    for error in report.errors:
        problems[error.code].append((error, "error"))
    for error in report.incomplete:
        problems[error.code].append((error, "incomplete"))
    root = ET.Element("testsuites", name="fkaudit", time=f"{report.elapsed_seconds:.3f}")
    fks = set(report.foreign_keys)
    for code in sorted({*report.rules_run, *found, *problems}):
        keys = sorted(fks.union(found.get(code, {}), accepted.get(code, {})))
        root.append(_suite(code, keys, found.get(code, {}), accepted.get(code, {}),
                           problems.get(code, []), options))  # fmt: skip
    for total in ("tests", "failures", "errors", "skipped"):
        root.set(total, str(sum(int(suite.get(total, 0)) for suite in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
