"""What `fkaudit rules` and `fkaudit explain` print: the rules as configured, one rule's docs.

Both start as fresh processes for one screen of text, so they import neither psycopg nor a
table library: the table is laid out here (tabulate's "simple" look), and
tests/test_startup.py keeps those imports out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fkaudit.config import Config, load_config
from fkaudit.engine import select_rules
from fkaudit.errors import FkauditError
from fkaudit.rules import all_rules, rule_by_code
from fkaudit.selectors import unknown_rule


def rule_entries(config: Config) -> list[dict[str, Any]]:
    """Each rule as `fkaudit rules --format json` lists it, under `config`.

    The keys are a documented interface (README, Usage), in this order: `code`, `name`,
    `enabled` (runs under this configuration), `opt_in` (off unless selected or configured),
    `severity` (configured, else the default), `default_severity`, `options` (every option
    with its effective value) and `summary`. New keys may be added; none is renamed.
    """
    enabled = {rule.code for rule in select_rules(config.select, config.ignore, config)}
    entries = []
    for rule in all_rules():
        settings = config.rule(rule.code)
        entries.append(
            {
                "code": rule.code,
                "name": rule.name,
                "enabled": rule.code in enabled,
                "opt_in": not rule.enabled_by_default,
                "severity": (settings.severity or rule.default_severity).label,
                "default_severity": rule.default_severity.label,
                "options": {**rule.option_defaults, **settings.options},
                "summary": rule.summary(),
            }
        )
    return entries


def rules_table(config_file: Path | None) -> str:
    """Every rule with whether it runs, its severity and options under the configuration found
    (or named), then its one-line summary; the first line names the configuration."""
    config = load_config(config_file)
    rows = [
        [
            entry["code"],
            entry["name"],
            "yes" if entry["enabled"] else "no",
            entry["severity"],
            ", ".join(f"{k}={v!r}" for k, v in entry["options"].items()),
            entry["summary"],
        ]
        for entry in rule_entries(config)
    ]
    source = f"configuration: {config.path}" if config.path else "no configuration file found"
    table = simple_table(["code", "name", "enabled", "severity", "options", "summary"], rows)
    return f"{source}\n{table}"


def rules_json(config_file: Path | None) -> str:
    """`rule_entries` as a JSON array, one rule per line (diff-friendly, like `--format json`).

    Unlike the table, it does not name the configuration file: the array is the whole
    document, so `jq` and `json.load` read it as is."""
    import json  # stdlib, light: not psycopg (tests/test_startup.py)

    entries = rule_entries(load_config(config_file))
    lines = [json.dumps(entry, ensure_ascii=False) for entry in entries]
    return "[\n" + ",\n".join(f"  {line}" for line in lines) + "\n]"


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
