"""Meta-tests: every rule is documented and tested, every command has help (DESIGN §5.10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.rules import Rule, all_rules
from tests.caseloader import all_cases

SECTIONS = ("What it does", "Why it matters", "How to fix", "Example", "Known limits")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_documented(rule: type[Rule]) -> None:
    assert re.fullmatch(r"FK\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule.name)
    doc = rule.documentation()
    assert rule.summary() and len(rule.summary()) < 100
    for section in SECTIONS:
        assert f"\n{section}\n" in doc, f"{rule.code} lacks '{section}'"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_has_cases_that_fire_and_that_must_not(rule: type[Rule]) -> None:
    cases = [case for case in all_cases() if rule.code in case.rules]
    assert any(rule.code in {code for code, _ in case.fires} for case in cases)
    assert any(rule.code not in {code for code, _ in case.fires} for case in cases)


def test_codes_and_names_are_unique() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len({r.name for r in rules}) == len(rules)


@pytest.mark.parametrize("command", sorted(main.commands))  # type: ignore[attr-defined]
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 3


def test_readme_shows_every_command_and_format() -> None:
    from fkaudit.reporters import FORMATS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for command in main.commands:  # type: ignore[attr-defined]
        assert f"fkaudit {command}" in readme
    for fmt in FORMATS:
        assert f"| `{fmt}` |" in readme


def test_readme_lists_every_rule() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for rule in all_rules():
        assert f"`{rule.code}`" in readme and rule.name in readme


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_options_are_documented(rule: type[Rule]) -> None:
    doc = rule.documentation()
    for option in rule.option_defaults:
        assert "\nOptions\n" in doc and f"    {option} (default" in doc, option


def test_rules_page_is_generated_and_current() -> None:
    from fkaudit.docgen import RULES_PAGE, rules_page

    assert RULES_PAGE.is_file(), "docs/rules.md is missing: python -m fkaudit.docgen --write"
    assert RULES_PAGE.read_text(encoding="utf-8") == rules_page(), (
        "docs/rules.md is out of date: run python -m fkaudit.docgen --write"
    )
    for rule in all_rules():
        assert f"## {rule.code} {rule.name}" in rules_page()
