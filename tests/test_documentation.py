"""Meta-tests: every rule is documented and tested, every command has help.

That is docs/design.md §5.10. Also: the design document exists and has every section the code
cites, and nothing in the product reads or cites files that lie beside the checkout only on the
development machines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.rules import ChangeRule, Rule, all_rules
from tests.caseloader import all_cases
from tests.review_cases import REVIEW_CASES

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
    if issubclass(rule, ChangeRule):
        # A change rule fires in a review of new migrations only, never in the audit of
        # tests/cases: its cases are the migration folders of tests/review_cases.py, whose
        # markers tests/test_review_rules.py checks exactly (`silent` included).
        markers = [m for case in REVIEW_CASES for m in case.markers() if m.code == rule.code]
        assert any(m.fires for m in markers), f"no review case expects {rule.code}"
        assert any(not m.fires for m in markers), f"no review case has {rule.code} silent"
        return
    cases = [case for case in all_cases() if rule.code in case.rules]
    assert any(rule.code in {code for code, _ in case.fires} for case in cases)
    assert any(rule.code not in {code for code, _ in case.fires} for case in cases)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_module_is_named_after_the_rule(rule: type[Rule]) -> None:
    """`fk302_set_default_without_valid_default.py` holds `set-default-without-valid-default`:
    the file of a rule is found from its code or name without opening any other."""
    module = rule.__module__.rsplit(".", 1)[-1]
    assert module == f"{rule.code.lower()}_{rule.name.replace('-', '_')}"


def test_codes_and_names_are_unique() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len({r.name for r in rules}) == len(rules)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 3


def test_readme_shows_every_command_and_format() -> None:
    from fkaudit.reporters import FORMATS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for command in main.commands:
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


ROOT = Path(__file__).parent.parent
DESIGN = ROOT / "docs" / "design.md"
# What a clone of the project is: code, tests, benchmarks, documentation, the GitHub action and
# workflows. Only .ci/run may look beside the checkout (for the optional PostgreSQL matrix).
PRODUCT = ("fkaudit", "tests", "benchmarks", "docs", ".github", "action.yml", "README.md")
# Spelled in pieces so that this file does not match itself: the directory beside the checkout
# on the development machines, the spec kept there, and the old citations of that spec.
OUTSIDE = ("../" + "shared", "shared/" + "DESIGN", "DESIGN" + " §")
DESIGN_SECTIONS = (
    "What it is",
    "Architecture",
    "Foreign-key semantics",
    "Safety contract",
    "Conventions",
    "Testing",
    "Performance targets",
    "Trust",
)
_CITATION = re.compile(r"docs/design\.md §(\d+)(?:\.(\d+))?")


def _product_files() -> Iterator[tuple[Path, str]]:
    """(path, text) of every text file of the product; compiled and binary files are skipped."""
    for name in PRODUCT:
        top = ROOT / name
        assert top.exists(), top
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def test_nothing_reads_or_cites_what_lies_beside_the_checkout() -> None:
    """A fresh clone has nothing beside it: no code, test, benchmark or document may use that."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path, text in _product_files()
        for number, line in enumerate(text.splitlines(), 1)
        if any(needle in line for needle in OUTSIDE)
    ]
    assert not offenders, "\n".join(offenders)


def _design_sections() -> dict[int, tuple[str, str]]:
    """docs/design.md's numbered sections: number -> (title, body)."""
    parts = re.split(r"^## (\d+)\. (.*)$", DESIGN.read_text(encoding="utf-8"), flags=re.M)
    return {
        int(number): (title, body)
        for number, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True)
    }


def test_design_document_has_every_section_the_code_cites() -> None:
    """Code cites the design as `docs/design.md §N` (or §N.M, item M of a numbered list)."""
    assert DESIGN.is_file(), "docs/design.md is missing"
    sections = _design_sections()
    titles = {number: title for number, (title, _) in sections.items()}
    assert sorted(titles) == list(range(1, len(DESIGN_SECTIONS) + 1)), titles
    for number, expected in enumerate(DESIGN_SECTIONS, 1):
        assert titles[number].startswith(expected), (number, titles[number])
    cited = [
        (path.relative_to(ROOT), int(match[1]), match[2])
        for path, text in _product_files()
        for match in _CITATION.finditer(text)
    ]
    assert cited, "nothing cites docs/design.md: is the pattern still right?"
    for path, number, item in cited:
        assert number in sections, f"{path} cites docs/design.md §{number}: no such section"
        if item is not None:
            body = sections[number][1]
            assert re.search(rf"^{item}\. ", body, flags=re.M), (
                f"{path} cites docs/design.md §{number}.{item}: §{number} has no item {item}"
            )


def test_ci_runs_the_readme_newcomer_commands() -> None:
    """The README's first two commands are what a newcomer runs; CI must run the same ones.

    `.ci/run` runs the test command verbatim; the demo command's install (its extras) is the
    one the workflow's embedded job uses, so a change to either shows up in CI.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    demo, test = quick_start.strip().splitlines()
    assert demo.endswith("fkaudit demo") and test.endswith("python -m pytest")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extras = re.search(r"-e '\.(\[[a-z,]+\])'", demo)
    assert extras, demo
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert f"-e '.{extras[1]}' --group test" in workflow
