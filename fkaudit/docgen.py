"""Generate docs/rules.md from the rule docstrings, so the reference cannot drift from the code.

    python -m fkaudit.docgen            print the page
    python -m fkaudit.docgen --write    rewrite docs/rules.md (a test fails when it is stale)

A rule docstring is a summary line, then sections (`What it does`, `Why it matters`, `How to
fix`, `Options`, `Example`, `Known limits`) whose bodies are indented by four spaces. Example
bodies become SQL code blocks; indented blocks inside other sections stay code blocks too.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from fkaudit.rules import Rule, all_rules

SECTIONS = ("What it does", "Why it matters", "How to fix", "Options", "Example", "Known limits")
RULES_PAGE = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """(summary line, [(section title, dedented body)]) of a rule docstring."""
    summary, _, rest = doc.partition("\n")
    found: list[tuple[str, str]] = []
    for line in rest.splitlines():
        if line.strip() in SECTIONS and not line.startswith(" "):
            found.append((line.strip(), ""))
        elif found:
            title, body = found[-1]
            found[-1] = (title, body + line + "\n")
    return summary.strip(), [(t, textwrap.dedent(b).strip("\n")) for t, b in found]


def _markdown_body(title: str, body: str) -> str:
    if title == "Example":
        return f"```sql\n{body}\n```"
    paragraphs = []
    for block in body.split("\n\n"):
        if block.startswith("    "):
            paragraphs.append(f"```\n{textwrap.dedent(block)}\n```")
        elif block.startswith("- "):  # a list: one item per `- ` line, continued below it
            items = re.split(r"\n(?=- )", block)
            paragraphs.append("\n".join(" ".join(i.split()) for i in items))
        else:
            paragraphs.append(" ".join(line.strip() for line in block.splitlines()))
    return "\n\n".join(paragraphs)


def rule_markdown(rule: type[Rule]) -> str:
    summary, titled = sections(rule.documentation())
    options = ", ".join(f"`{k}` (default `{v!r}`)" for k, v in rule.option_defaults.items())
    facts = [
        f"- Default severity: **{rule.default_severity.label}**",
        f"- Runs by default: {'yes' if rule.enabled_by_default else 'no (opt-in)'}",
    ]
    if options:
        facts.append(f"- Options: {options}")
    parts = [f"## {rule.code} {rule.name}", f"{summary}", "\n".join(facts)]
    for title, body in titled:
        parts.append(f"### {title}\n\n{_markdown_body(title, body)}")
    return "\n\n".join(parts)


def rules_page() -> str:
    rows = [
        f"| [{r.code}](#{r.code.lower()}-{r.name}) | `{r.name}` | {r.default_severity.label} | "
        f"{'yes' if r.enabled_by_default else 'opt-in'} | {r.summary()} |"
        for r in all_rules()
    ]
    header = [
        "# fkaudit rules",
        "",
        "Generated from the rule docstrings by `python -m fkaudit.docgen --write`; do not edit by "
        "hand. `fkaudit explain CODE` prints the same text, and `fkaudit rules` shows the "
        "effective configuration.",
        "",
        "| code | name | severity | default | summary |",
        "|---|---|---|---|---|",
        *rows,
    ]
    return "\n".join(header) + "\n\n" + "\n\n".join(rule_markdown(r) for r in all_rules()) + "\n"


def main(argv: list[str]) -> int:
    page = rules_page()
    if argv == ["--write"]:
        RULES_PAGE.parent.mkdir(exist_ok=True)
        RULES_PAGE.write_text(page, encoding="utf-8")
        print(f"wrote {RULES_PAGE}")
    elif not argv:
        sys.stdout.write(page)
    else:
        print("usage: python -m fkaudit.docgen [--write]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
