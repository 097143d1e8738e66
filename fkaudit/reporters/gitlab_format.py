"""`--format gitlab`: a GitLab Code Quality report, for the merge request widget.

GitLab reads a JSON array of issues (`artifacts: reports: codequality:`), each with a
`description`, a `check_name`, a `fingerprint` that identifies it across pipelines (GitLab
compares the merge request's report with the target branch's by fingerprint, and shows one
issue per fingerprint), a `severity` and a `location` of `path` and `lines.begin`.

- `fingerprint` is the finding's own (rule code, schema, table, constraint): stable across runs
  and line moves. Two findings of one rule on one object (FK001 for two directives on one
  table) would share it, so a repeat gets one derived from its message as well.
- `severity`: error is `major`, warning `minor`, info `info`.
- `location`: the statement that defines the object when the SQL files were searched, else
  the file of `RenderOptions.artifact` at line 1; a run against a database with no file named
  (`--sarif-artifact`) points at a path named after the database, as SARIF does.
- Findings accepted by a baseline are listed too: they are still there, and GitLab's own
  comparison with the target branch is what marks issues as new. Checks that could not run
  (`--allow-incomplete`) are issues of the `fkaudit` check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from fkaudit.escape import printable
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report, RuleError
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions, SourceLine
from fkaudit.reporters.json_format import json_items, one_line

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _issue(description: str, check: str, fingerprint: str, severity: str, where: SourceLine) -> Any:
    return {
        "description": description,
        "check_name": check,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": where.path, "lines": {"begin": where.line}},
    }


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _describe(finding: Finding) -> str:
    return printable(
        f"{finding.code} {finding.name}: {finding.qualified_object}: {finding.message}"
    )


def _issues(report: Report, options: RenderOptions) -> Iterator[str]:
    fallback = SourceLine(options.artifact or report.database or "database")
    seen: set[str] = set()
    for finding in (*report.findings, *report.baselined):
        fingerprint = finding.fingerprint
        where = options.location(fingerprint) or fallback
        if fingerprint in seen:
            fingerprint, repeat = _digest(fingerprint, finding.message), 1
            while fingerprint in seen:
                fingerprint, repeat = _digest(fingerprint, str(repeat)), repeat + 1
        seen.add(fingerprint)
        yield one_line(
            _issue(
                _describe(finding),
                finding.code,
                fingerprint,
                SEVERITIES[finding.severity],
                where,
            )
        )
    problems: list[tuple[RuleError, Severity]] = [(e, Severity.ERROR) for e in report.errors]
    problems += [(e, Severity.WARNING) for e in report.incomplete]
    for error, severity in problems:
        fingerprint = _digest("fkaudit", error.code, error.message)
        yield one_line(
            _issue(
                f"fkaudit could not complete a check: {error.message}",
                "fkaudit",
                fingerprint,
                SEVERITIES[severity],
                fallback,
            )
        )


def render(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """The issues as a JSON array, one issue per line."""
    lines = json_items(_issues(report, options), "  ")
    first = next(lines, None)
    if first is None:
        yield "[]\n"
        return
    yield "[\n"
    yield first
    yield from lines
    yield "]\n"
