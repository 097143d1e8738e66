"""Find where a finding's object is defined in SQL files, for SARIF and GitHub annotations.

An annotation on the line that creates the constraint is worth much more than one on line 1.
The files are tokenized once (identifiers, folded to lower case as PostgreSQL folds unquoted
names, and quoted identifiers as written); a finding then points at the first mention of its
constraint's name in a statement about its table, or — for names PostgreSQL generated, which no
file spells out — at the `CREATE TABLE` of its table. Files are searched in the order they were
applied, so in a migration folder the first mention is the migration that created the object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from fkaudit.findings import Finding
from fkaudit.reporters import SourceLine

# A quoted identifier ("" inside is a quote) or an unquoted one (letters, digits, _ and $).
_TOKEN = re.compile(r'"((?:[^"]|"")+)"|([^\W\d][\w$]*)')


def display_path(path: Path) -> str:
    """The path as the repository knows it: relative to $GITHUB_WORKSPACE (in GitHub Actions)
    or the working directory when inside it, else absolute."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_posix()


_SKIPPED = {"if", "not", "exists", "only"}  # between TABLE and its name


class SourceIndex:
    """Where names are first mentioned: constraints per table, tables at their CREATE TABLE.

    Constraint names are unique per table only, so a name is recorded under the table of the
    statement it appears in — the last `CREATE TABLE` or `ALTER TABLE` seen, which is how
    pg_dump, Rails, Django and hand-written migrations all declare constraints.
    """

    def __init__(self, files: Sequence[Path]) -> None:
        self.in_table: dict[tuple[str, str], SourceLine] = {}
        self.created: dict[str, SourceLine] = {}
        self.table: str | None = None
        for path in files:
            shown = display_path(path)
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # a missing artifact only costs the finer locations
            for number, line in enumerate(text.splitlines(), start=1):
                self._add(line, SourceLine(shown, number))

    def _add(self, line: str, where: SourceLine) -> None:
        tokens = [
            (
                quoted.replace('""', '"') if quoted is not None else bare.lower(),
                quoted is None,
                match.end(),
            )
            for match in _TOKEN.finditer(line)
            for quoted, bare in [match.groups()]
        ]
        for i, (name, bare, _) in enumerate(tokens):
            if (
                bare
                and name == "table"
                and any(t[1] and t[0] in ("create", "alter") for t in tokens[max(0, i - 3) : i])
            ):
                self._enter_table(line, tokens[i + 1 :], where)
                break
        if self.table is not None:
            for name, _, _ in tokens:
                self.in_table.setdefault((self.table, name), where)

    def _enter_table(self, line: str, rest: list[tuple[str, bool, int]], where: SourceLine) -> None:
        """Make the table this statement names (`[IF NOT EXISTS|ONLY] [schema.]name`) current."""
        names = [t for t in rest if not (t[1] and t[0] in _SKIPPED)]
        if not names:
            return
        name, _, end = names[0]
        if line[end : end + 1] == "." and len(names) > 1:
            name = names[1][0]
        self.table = name
        if "create" in line.lower():
            self.created.setdefault(name, where)

    def locate(self, finding: Finding) -> SourceLine | None:
        if finding.constraint:
            found = self.in_table.get((finding.table, finding.constraint))
            if found is not None:
                return found
        return self.created.get(finding.table)


def locate_all(findings: Iterable[Finding], files: Sequence[Path]) -> dict[str, SourceLine]:
    """Fingerprint -> definition line, for the findings whose object the files mention."""
    index = SourceIndex(files)
    found = {f.fingerprint: index.locate(f) for f in findings}
    return {key: where for key, where in found.items() if where is not None}
