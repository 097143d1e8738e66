"""`--format junit`: JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One test suite per rule that ran and one test case per (rule, foreign key) inspected, so a
report shows what passed, not only what failed. Findings on other objects (a table's cascade
depth, a column that looks like a key) add test cases of their own. A case fails when a finding
on it is at or above the fail level — the same judgement as the exit code; findings below it,
or accepted by a baseline, are written to the case's output and it passes. A rule that could not
run, or a scan that did not complete, is an `<error>` case.
"""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.report import Report, RuleError
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions
from fkaudit.rules import rule_by_code

ObjectKey = tuple[str, str, str]


# Characters XML 1.0 cannot carry (PostgreSQL names may hold them), written as escapes.
_NOT_XML = {c: f"\\x{c:02x}" for c in range(32) if chr(c) not in "\t\n\r"}
_NOT_XML.update({0xFFFE: "\\ufffe", 0xFFFF: "\\uffff"})


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: PostgreSQL names may hold control characters, XML may not."""
    return text.translate(_NOT_XML)


def _key(finding: Finding) -> ObjectKey:
    return (finding.schema, finding.table, finding.constraint or "")


def _case_name(key: ObjectKey) -> str:
    return printable(".".join(part for part in key if part))


def _describe(finding: Finding) -> str:
    lines = [f"{finding.severity.label}: {finding.message}"]
    lines += [
        f"{label}: {sql}"
        for label, sql in (("fix", finding.fix), ("suggestion", finding.suggestion))
        if sql
    ]
    return xml_text("\n".join(lines))


def _attr(text: str) -> str:
    """An attribute value, quoted; line breaks kept as character references."""
    return quoteattr(xml_text(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _suite(
    code: str,
    keys: list[ObjectKey],
    names: dict[ObjectKey, str],
    found: dict[ObjectKey, list[Finding]],
    accepted: dict[ObjectKey, list[Finding]],
    errors: list[tuple[RuleError, str]],
    options: RenderOptions,
) -> tuple[str, dict[str, int]]:
    """One `<testsuite>` as text, and its counts (for the totals of `<testsuites>`)."""
    classname = _attr(f"fkaudit.{code}")
    cases: list[str] = []
    failures = 0
    for key in keys:
        head = f"    <testcase classname={classname} name={names[key]}"
        failing = [f for f in found.get(key, ()) if f.severity >= options.fail_on]
        notes = [_describe(f) for f in found.get(key, ()) if f.severity < options.fail_on]
        notes += [f"accepted by the baseline: {_describe(f)}" for f in accepted.get(key, ())]
        if not failing and not notes:
            cases.append(head + " />")  # the common case: 10,000s of these
            continue
        body = []
        if failing:
            failures += 1
            body.append(
                f"      <failure type={_attr(failing[0].severity.label)} "
                f"message={_attr(failing[0].message)}>"
                + escape("\n\n".join(_describe(f) for f in failing))
                + "</failure>"
            )
        if notes:
            body.append(f"      <system-out>{escape(chr(10).join(notes))}</system-out>")
        cases.append(head + ">\n" + "\n".join(body) + "\n    </testcase>")
    for error, kind in errors:
        tag = "error" if kind == "error" else "skipped"
        problem = f"      <{tag} message={_attr(error.message)} />"
        cases.append(
            f"    <testcase classname={classname} name={_attr(kind)}>\n{problem}\n    </testcase>"
        )
    counts = {
        "tests": len(keys) + len(errors),
        "failures": failures,
        "errors": sum(kind == "error" for _, kind in errors),
        "skipped": sum(kind != "error" for _, kind in errors),
    }
    rule = rule_by_code(code)
    name = f"{code} {rule.name}" if rule else code
    totals = " ".join(f'{key}="{n}"' for key, n in counts.items())
    text = f"  <testsuite name={_attr(name)} {totals}>\n" + "\n".join(cases) + "\n  </testsuite>"
    return text, counts


def _by_rule_and_object(findings: tuple[Finding, ...]) -> dict[str, dict[ObjectKey, list[Finding]]]:
    grouped: dict[str, dict[ObjectKey, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        grouped[finding.code][_key(finding)].append(finding)
    return grouped


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    """The XML as text: ElementTree needed 3.5 s and 230 MB for 170,000 passing cases."""
    found = _by_rule_and_object(report.findings)
    accepted = _by_rule_and_object(report.baselined)
    problems: dict[str, list[tuple[RuleError, str]]] = defaultdict(list)
    for error in report.errors:
        problems[error.code].append((error, "error"))
    for error in report.incomplete:
        problems[error.code].append((error, "incomplete"))
    fks = set(report.foreign_keys)
    every_key = fks.union(*found.values(), *accepted.values())
    names = {key: _attr(_case_name(key)) for key in every_key}
    suites: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for code in sorted({*report.rules_run, *found, *problems}):
        keys = sorted(fks.union(found.get(code, {}), accepted.get(code, {})))
        text, counts = _suite(
            code,
            keys,
            names,
            found.get(code, {}),
            accepted.get(code, {}),
            problems.get(code, []),
            options,
        )
        suites.append(text)
        for key, n in counts.items():
            totals[key] += n
    attributes = " ".join(f'{key}="{n}"' for key, n in totals.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="fkaudit" time="{report.elapsed_seconds:.3f}" {attributes}>\n'
        + "".join(suite + "\n" for suite in suites)
        + "</testsuites>"
    )
