"""What `fkaudit rules` and `fkaudit explain` print: the rules as configured, one rule's docs.

Both start as fresh processes for one screen of text, so they import neither psycopg nor a
table library: the table is laid out here (tabulate's "simple" look), and
tests/test_startup.py keeps those imports out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fkaudit.config import load_config
from fkaudit.engine import select_rules
from fkaudit.errors import FkauditError
from fkaudit.rules import all_rules, rule_by_code
from fkaudit.selectors import unknown_rule


def rules_table(config_file: Path | None) -> str:
    """Every rule with whether it runs, its severity and options under the configuration found
    (or named), then its one-line summary; the first line names the configuration."""
    config = load_config(config_file)
    enabled = {rule.code for rule in select_rules(config.select, config.ignore, config)}
    rows = []
    for rule in all_rules():
        settings = config.rule(rule.code)
        options = {**rule.option_defaults, **settings.options}
        rows.append(
            [
                rule.code,
                rule.name,
                "yes" if rule.code in enabled else "no",
                (settings.severity or rule.default_severity).label,
                ", ".join(f"{k}={v!r}" for k, v in options.items()),
                rule.summary(),
            ]
        )
    source = f"configuration: {config.path}" if config.path else "no configuration file found"
    table = simple_table(["code", "name", "enabled", "severity", "options", "summary"], rows)
    return f"{source}\n{table}"


def simple_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, each as wide as its widest cell and at least its header plus two,
    two spaces apart, under a dashed rule; trailing spaces stripped (tabulate's "simple")."""
    widths = [
        max(len(header) + 2, *(len(row[i]) for row in rows)) for i, header in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join(
        [line(headers), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]
    )


def explanation(wanted: str) -> str:
    """The full documentation of the rule named by code or name, under a heading line."""
    found = rule_by_code(wanted)
    if found is None:
        raise FkauditError(unknown_rule(wanted, all_rules()))
    heading = f"{found.code} {found.name} (default severity: {found.default_severity.label})"
    return f"{heading}\n\n{found.documentation()}"
