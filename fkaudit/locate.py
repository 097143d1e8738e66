"""Find where a finding's object is defined in SQL files, for SARIF and GitHub annotations.

An annotation on the line that creates the constraint is worth much more than one on line 1.
The files are tokenized once (identifiers, folded to lower case as PostgreSQL folds unquoted
names, and quoted identifiers as written); a finding then points at the first mention of its
constraint's name, or — for names PostgreSQL generated, which no file spells out — at the
`CREATE TABLE` of its table. Files are searched in the order they were applied, so in a
migration folder the first mention is the migration that created the object.
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
    """The path as the repository knows it: relative to the working directory when inside it."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return Path(os.path.normpath(path)).as_posix()


class SourceIndex:
    """First mention of every identifier, and of every identifier on a CREATE TABLE line."""

    def __init__(self, files: Sequence[Path]) -> None:
        self.first: dict[str, SourceLine] = {}
        self.created: dict[str, SourceLine] = {}
        for path in files:
            shown = display_path(path)
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # a missing artifact only costs the finer locations
            for number, line in enumerate(text.splitlines(), start=1):
                self._add(line, SourceLine(shown, number))

    def _add(self, line: str, where: SourceLine) -> None:
        creates = "create table" in line.lower()
        for match in _TOKEN.finditer(line):
            quoted, bare = match.groups()
            name = quoted.replace('""', '"') if quoted is not None else bare.lower()
            self.first.setdefault(name, where)
            if creates:
                self.created.setdefault(name, where)

    def locate(self, finding: Finding) -> SourceLine | None:
        if finding.constraint and finding.constraint in self.first:
            return self.first[finding.constraint]
        return self.created.get(finding.table) or self.first.get(finding.table)


def locate_all(findings: Iterable[Finding], files: Sequence[Path]) -> dict[str, SourceLine]:
    """Fingerprint -> definition line, for the findings whose object the files mention."""
    index = SourceIndex(files)
    found = {f.fingerprint: index.locate(f) for f in findings}
    return {key: where for key, where in found.items() if where is not None}
