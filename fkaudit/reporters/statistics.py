"""`--statistics`: how many findings each rule made, instead of the findings (ruff's flag).

For a first look at a large database, or a dashboard: which rules fire, and how often. The
text form is ruff's and flake8's, one rule a line, tab-separated, most findings first:

    2	FK101	[*] unindexed-foreign-key
    1	FK303	[ ] nullable-cascade-foreign-key

`[*]` marks a rule whose findings all have a mechanical fix (`fkaudit fix` writes it), `[-]`
one where some do, `[ ]` none; the markers appear only when some finding has a fix. The
closing summary line follows (not with `-q`). The JSON form is an array of objects with
`code`, `name`, `count`, `fixable_count` and `by_severity` (as in the JSON summary), one rule
a line; `[]` when nothing was found. Only the findings a run reports count: not those
suppressed by comments nor those accepted by a baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from fkaudit.findings import Severity
from fkaudit.report import Report
from fkaudit.reporters import DEFAULT_OPTIONS, RenderOptions
from fkaudit.reporters.table_format import summary_line


@dataclass(frozen=True)
class RuleCount:
    """One rule's share of the findings."""

    code: str
    name: str
    count: int
    fixable_count: int  # findings with a mechanical fix
    by_severity: dict[str, int]

    @property
    def marker(self) -> str:
        if self.fixable_count == self.count:
            return "[*]"
        return "[-]" if self.fixable_count else "[ ]"


def rule_counts(report: Report) -> list[RuleCount]:
    """The rules with findings, most first (ties in code order)."""
    names: dict[str, str] = {}
    fixable: Counter[str] = Counter()
    severities: dict[str, Counter[Severity]] = {}
    for finding in report.findings:
        names.setdefault(finding.code, finding.name)
        if finding.fix:
            fixable[finding.code] += 1
        severities.setdefault(finding.code, Counter())[finding.severity] += 1
    return [
        RuleCount(
            code,
            names[code],
            count,
            fixable[code],
            {s.label: severities[code][s] for s in sorted(Severity, reverse=True)},
        )
        for code, count in report.top_rules()
    ]


def render_text(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """ruff's text form, then what stopped the run and the summary line (not with `-q`)."""
    counts = rule_counts(report)
    if counts:
        count_width = len(str(counts[0].count))
        code_width = max(len(c.code) for c in counts)
        markers = any(c.fixable_count for c in counts)
        for c in counts:
            marker = f"{c.marker} " if markers else ""
            yield f"{c.count:>{count_width}}\t{c.code:<{code_width}}\t{marker}{c.name}\n"
    for error in report.errors:
        yield f"error: {error.message}\n"
    if not options.quiet:
        yield summary_line(report) + "\n"


def render_json(report: Report, options: RenderOptions = DEFAULT_OPTIONS) -> Iterator[str]:
    """The counts as a JSON array, one rule a line."""
    from fkaudit.reporters.json_format import json_items, one_line

    counts = rule_counts(report)
    if not counts:
        yield "[]\n"
        return
    yield "[\n"
    yield from json_items(
        (
            one_line(
                {
                    "code": c.code,
                    "name": c.name,
                    "count": c.count,
                    "fixable_count": c.fixable_count,
                    "by_severity": c.by_severity,
                }
            )
            for c in counts
        ),
        "  ",
    )
    yield "]\n"
