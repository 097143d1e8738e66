"""Rule test cases are data: SQL files under tests/cases/, read by this loader.

File format:

    -- rules: FK101 FK102            codes under test in this file (header, once)
    -- case: a short description     starts a case; every case runs in a fresh schema
    -- fires: FK101 child_a_fkey     expected finding (code and constraint); repeatable,
                                     comma-separated; no `fires` line means none of the file's
                                     rules may fire
    -- fires: FK306 [t1]             a finding about a table rather than a constraint
    -- fires-until: 17 FK102 c_ab     expected only on PostgreSQL 17 and older (a behaviour
                                     the server changed); repeatable
    -- option: FK306 max_tables = 2   a rule option for this case (JSON value, else a string)
    -- min-version: 15               skip on servers older than this major
    -- expect-error                  the next statement must fail (e.g. a failed
                                     CREATE INDEX CONCURRENTLY leaving an invalid index)
    CREATE TABLE ...;                statements end with `;` at the end of a line

The assertion is exact: the findings of the file's rules in the case's schema are exactly the
`fires` lines, so every case checks both that a rule fires and that the others stay silent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"
_DIRECTIVE = re.compile(
    r"^--\s*(rules|case|fires-until|fires|option|min-version|expect-error)\s*:?\s*(.*)$"
)


@dataclass(frozen=True)
class Statement:
    text: str
    expect_error: bool = False


@dataclass
class Case:
    file: str
    name: str
    rules: tuple[str, ...]
    fires: set[tuple[str, str]] = field(default_factory=set)
    # (last major, code, constraint): findings of older servers only.
    fires_until: list[tuple[int, str, str]] = field(default_factory=list)
    min_version: int = 12
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)

    def expected(self, server_version: int) -> set[tuple[str, str]]:
        """The (code, constraint) findings expected on a server of this version number."""
        major = server_version // 10000
        older = {(code, name) for last, code, name in self.fires_until if major <= last}
        return self.fires | older

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def load_cases(path: Path) -> list[Case]:
    rules: tuple[str, ...] = ()
    cases: list[Case] = []
    buffer: list[str] = []
    expect_error = False

    def flush_statement() -> None:
        nonlocal expect_error
        text = "\n".join(buffer).strip()
        buffer.clear()
        if text:
            if not cases:
                raise ValueError(f"{path.name}: SQL before the first '-- case:'")
            cases[-1].statements.append(Statement(text, expect_error))
            expect_error = False

    for line in path.read_text(encoding="utf-8").splitlines():
        directive = _DIRECTIVE.match(line.strip())
        if directive:
            key, value = directive.group(1), directive.group(2).strip()
            if key == "rules":
                rules = tuple(value.replace(",", " ").split())
            elif key == "case":
                flush_statement()
                cases.append(Case(path.stem, value, rules))
            elif key == "fires":
                for item in value.split(","):
                    code, constraint = item.split(maxsplit=1)
                    cases[-1].fires.add((code, constraint.strip()))
            elif key == "fires-until":
                last, code, constraint = value.split(maxsplit=2)
                cases[-1].fires_until.append((int(last), code, constraint.strip()))
            elif key == "option":
                code, assignment = value.split(maxsplit=1)
                name, raw = (part.strip() for part in assignment.split("=", 1))
                try:
                    parsed: Any = json.loads(raw)
                except json.JSONDecodeError:
                    parsed = raw
                cases[-1].options.setdefault(code, {})[name] = parsed
            elif key == "min-version":
                cases[-1].min_version = int(value)
            else:
                expect_error = True
            continue
        if line.strip().startswith("--") and not buffer:
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            flush_statement()
    flush_statement()
    if not rules:
        raise ValueError(f"{path.name}: missing '-- rules:' header")
    return cases


def all_cases() -> list[Case]:
    return [case for path in sorted(CASES_DIR.glob("*.sql")) for case in load_cases(path)]
