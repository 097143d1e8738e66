"""What SQL files define, and where: for annotations on the right line and for suppressions.

A finding is about a table or a foreign key; in a schema file or a migration folder that object
has one *defining* statement: the `ALTER TABLE ... ADD CONSTRAINT` (or `ADD FOREIGN KEY`, or a
column's `REFERENCES`) of a key, the `CREATE TABLE` of a table. pg_dump also names every object
in comments (`-- Name: t fk; Type: FK CONSTRAINT`), and `--clean` dumps start by dropping each
constraint (`DROP CONSTRAINT IF EXISTS fk`): neither defines anything. So the files are split
the way psql splits them (`fkaudit.psqlscript`: strings, dollar quotes, comments and COPY data
are never read as SQL), each statement is tokenized, and the statements that create, drop or
rename tables and foreign keys become `Event`s, replayed in the order the files were applied:
the definition that counts is the one standing at the end.

The same reading attaches `-- fkaudit:ignore ...` comments to what they are on or directly
above (`IgnoreComment`): a key's definition, or a `CREATE TABLE`. They suppress findings as a
`COMMENT ON` carrying the directive does (`fkaudit.suppressions`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fkaudit.psqlscript import CopyIn, ScriptError, SqlText, Statement, Token

_TABLE_MODIFIERS = frozenset({"global", "local", "temp", "temporary", "unlogged"})
_NOT_A_COLUMN = frozenset(
    {"constraint", "primary", "unique", "check", "foreign", "exclude", "like"}
)
_DIRECTIVE = "fkaudit:ignore"


def display_path(path: Path) -> str:
    """The path as the repository knows it: relative to $GITHUB_WORKSPACE (in GitHub Actions)
    or the working directory when inside it, else absolute."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.resolve().as_posix()


@dataclass(frozen=True)
class Target:
    """What a statement, or a part of one, defines: a table, or a foreign key of it.

    `schema` is None when the file does not qualify the name. A foreign key written without a
    name (PostgreSQL generates one) is known by its referencing `columns`.
    """

    schema: str | None
    table: str
    constraint: str | None = None
    columns: tuple[str, ...] = ()

    @property
    def is_table(self) -> bool:
        return self.constraint is None and not self.columns


@dataclass(frozen=True)
class Event:
    """A statement's effect on what is defined: `table`, `key` (a foreign key), `column`,
    `drop-key`, `rename-key` (to `new_name`), `drop-table`, `rename-table` (to `new_name`)."""

    kind: str
    target: Target
    path: Path
    line: int
    new_name: str | None = None


@dataclass(frozen=True)
class IgnoreComment:
    """A `-- fkaudit:ignore ...` comment and what it is attached to (None: nothing)."""

    text: str  # the comment after its `--`
    path: Path
    line: int
    target: Target | None

    @property
    def source(self) -> str:
        """`path:line`, the path as the repository knows it."""
        return f"{display_path(self.path)}:{self.line}"


@dataclass(frozen=True)
class SqlSources:
    """Everything read from a list of SQL files, in the order they are applied."""

    events: tuple[Event, ...] = ()
    comments: tuple[IgnoreComment, ...] = ()

    @property
    def attached(self) -> tuple[IgnoreComment, ...]:
        return tuple(c for c in self.comments if c.target is not None)

    @property
    def unattached(self) -> tuple[IgnoreComment, ...]:
        return tuple(c for c in self.comments if c.target is None)


def read_sources(files: Sequence[Path]) -> SqlSources:
    """What `files` define (see the module docstring); a file that cannot be read or split
    counts as defining nothing: it costs annotations their lines, nothing else."""
    keys = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        keys.append((path, stat.st_mtime_ns, stat.st_size))
    return _read_sources(tuple(keys))


@lru_cache(maxsize=4)  # the audit reads the files for suppressions, delivery for locations
def _read_sources(files: tuple[tuple[Path, int, int], ...]) -> SqlSources:
    events: list[Event] = []
    comments: list[IgnoreComment] = []
    for path, _, _ in files:
        text = _script_text(path)
        if text is None:
            continue
        try:
            script = SqlText(path, text)
        except ScriptError:
            continue
        reading = _FileReader(path, script)
        events += reading.events
        comments += reading.comments
    return SqlSources(tuple(events), tuple(comments))


def _script_text(path: Path) -> str | None:
    """The file as the loader applies it (one character per byte; a goose or dbmate down
    section left out), or None when it cannot be read."""
    from fkaudit.schemafile import up_part

    try:
        text = path.read_bytes().decode("latin-1")
    except OSError:
        return None
    up = up_part(text)
    return text if up is None else up


@dataclass
class _Unit:
    """A stretch of a statement that comments attach to: its head, an element of a CREATE
    TABLE's list, an action of an ALTER TABLE; `target` is what it defines, if anything."""

    target: Target | None
    tokens: list[int] = field(default_factory=list)  # indexes into the statement's tokens


class _FileReader:
    """One file's events and directives, statement by statement."""

    def __init__(self, path: Path, script: SqlText) -> None:
        self.path = path
        self.script = script
        self.events: list[Event] = []
        self.comments: list[IgnoreComment] = []
        self._lines: list[str] | None = None
        self._read()

    def line(self, token: Token) -> int:
        return self.script.line(token.start)

    def _read(self) -> None:
        previous: tuple[int, Target | None] | None = None  # last line and target of a statement
        gap_start = 0
        for step in self.script.steps:
            if not isinstance(step, (Statement, CopyIn)):
                continue  # \connect and \encoding lie in the gaps between statements
            text_end = step.start + len(step.text) if isinstance(step, CopyIn) else step.end
            tokens = list(self.script.tokens(step.start, text_end))
            code = [t for t in tokens if t.kind not in ("comment", "block")]
            if isinstance(step, Statement):
                units = self._statement(code)
            else:
                units = [_Unit(None, list(range(len(code))))]
            unit_of: dict[int, _Unit] = {}
            for unit in units:
                for index in unit.tokens:
                    unit_of[code[index].start] = unit
            first_line = self.line(code[0]) if code else self.script.line(step.start)
            for token in self.script.tokens(gap_start, step.start):
                if token.kind == "comment" and _is_directive(token.text):
                    here = self.line(token)
                    if previous is not None and previous[0] == here:  # after the last `;`
                        self._attach(token, previous[1])
                    elif self._directly_above(here, first_line):
                        self._attach(token, units[0].target if units else None)
                    else:
                        self._attach(token, None)
            self._comments_inside(tokens, code, unit_of)
            if code:
                last = code[-1]
                previous = (self.line(last), unit_of[last.start].target)
            gap_start = step.end
        for token in self.script.tokens(gap_start, len(self.script.text)):
            if token.kind == "comment" and _is_directive(token.text):
                here = self.line(token)
                trailing = previous is not None and previous[0] == here
                self._attach(token, previous[1] if previous and trailing else None)

    def _attach(self, token: Token, target: Target | None) -> None:
        self.comments.append(IgnoreComment(token.text, self.path, self.line(token), target))

    def _directly_above(self, comment_line: int, code_line: int) -> bool:
        """Only comment lines between the comment and the code: no blank line, no other code."""
        if comment_line >= code_line:
            return False
        if self._lines is None:
            self._lines = self.script.text.split("\n")
        between = self._lines[comment_line : code_line - 1]  # lines comment_line+1 .. code_line-1
        return all(line.strip().startswith("--") for line in between)

    def _comments_inside(
        self, tokens: list[Token], code: list[Token], unit_of: dict[int, _Unit]
    ) -> None:
        """A directive inside a statement belongs to the code before it on its line, else to
        the code it is directly above."""
        before: Token | None = None
        for position, token in enumerate(tokens):
            if token.kind not in ("comment", "block"):
                before = token
                continue
            if token.kind != "comment" or not _is_directive(token.text):
                continue
            here = self.line(token)
            after = next(
                (t for t in tokens[position + 1 :] if t.kind not in ("comment", "block")), None
            )
            if before is not None and self.line(before) == here:
                self._attach(token, unit_of[before.start].target)
            elif after is not None and self._directly_above(here, self.line(after)):
                self._attach(token, unit_of[after.start].target)
            else:
                self._attach(token, None)

    # -- statements ------------------------------------------------------------------------

    def _statement(self, code: list[Token]) -> list[_Unit]:
        """The units of one statement, recording its events."""
        words = [t.text if t.kind == "word" else "" for t in code[:8]]
        if words[:1] == ["create"]:
            at = 1
            while at < len(words) and words[at] in _TABLE_MODIFIERS:
                at += 1
            if at < len(words) and words[at] == "table":
                return self._create_table(code, at + 1)
        if words[:2] == ["alter", "table"]:
            return self._alter_table(code)
        if words[:2] == ["drop", "table"]:
            self._drop_tables(code)
        return [_Unit(None, list(range(len(code))))]

    def _event(self, kind: str, target: Target, token: Token, new_name: str | None = None) -> None:
        self.events.append(Event(kind, target, self.path, self.line(token), new_name))

    def _create_table(self, code: list[Token], at: int) -> list[_Unit]:
        """`CREATE [modifiers] TABLE [IF NOT EXISTS] name (elements) ...`."""
        at = _skip_words(code, at, ("if", "not", "exists"))
        name = _qualified_name(code, at)
        if name is None:
            return [_Unit(None, list(range(len(code))))]
        schema, table, at = name
        table_target = Target(schema, table)
        self._event("table", table_target, code[0])
        head = _Unit(table_target, list(range(min(at + 1, len(code)))))
        units = [head]
        if at < len(code) and code[at].text == "(" and code[at].kind == "punct":
            depth, element = 1, _Unit(None)
            position = at + 1
            while position < len(code) and depth:
                token = code[position]
                if token.kind == "punct" and token.text == "(":
                    depth += 1
                elif token.kind == "punct" and token.text == ")":
                    depth -= 1
                if depth == 0:
                    break
                element.tokens.append(position)
                if depth == 1 and token.kind == "punct" and token.text == ",":
                    units.append(self._element(code, element, table_target))
                    element = _Unit(None)
                position += 1
            if element.tokens:
                units.append(self._element(code, element, table_target))
            units.append(_Unit(table_target, list(range(position, len(code)))))
        else:
            head.tokens = list(range(len(code)))
        return units

    def _element(self, code: list[Token], unit: _Unit, table: Target) -> _Unit:
        """An element of CREATE TABLE's list: a column (perhaps with REFERENCES) or a table
        constraint. A foreign key defines its key; anything else belongs to the table."""
        tokens = [code[i] for i in unit.tokens]
        if tokens and tokens[-1].kind == "punct" and tokens[-1].text == ",":
            tokens = tokens[:-1]
        unit.target = table
        if not tokens:
            return unit
        first = tokens[0]
        if first.kind == "word" and first.text in _NOT_A_COLUMN:
            key = _table_constraint(tokens, table)
        elif first.kind in ("word", "name"):
            self._event("column", Target(table.schema, table.table, None, (first.text,)), first)
            key, at = _column_reference(tokens, table, first.text)
            first = tokens[at] if key is not None and key.constraint else first
        else:
            key = None
        if key is not None:
            self._event("key", key, first)  # a named one at its CONSTRAINT, else its element
            unit.target = key
        return unit

    def _alter_table(self, code: list[Token]) -> list[_Unit]:
        """`ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, action ...]`."""
        at = _skip_words(code, 2, ("if", "exists"))
        at = _skip_words(code, at, ("only",))
        name = _qualified_name(code, at)
        if name is None:
            return [_Unit(None, list(range(len(code))))]
        schema, table, at = name
        if at < len(code) and code[at].text == "*":
            at += 1
        table_target = Target(schema, table)
        head = _Unit(None, list(range(at)))
        actions: list[_Unit] = []
        depth, action = 0, _Unit(None)
        for position in range(at, len(code)):
            token = code[position]
            action.tokens.append(position)
            if token.kind != "punct":
                continue
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth = max(depth - 1, 0)
            elif token.text == "," and depth == 0:
                actions.append(action)
                action = _Unit(None)
        if action.tokens:
            actions.append(action)
        for unit in actions:
            unit.target = self._action(code, unit, table_target)
        defining = [unit.target for unit in actions if unit.target is not None]
        head.target = defining[0] if len(defining) == 1 else None
        return [head, *actions]

    def _action(self, code: list[Token], unit: _Unit, table: Target) -> Target | None:
        """One ALTER TABLE action: what it defines (a key, or the table for a new column),
        after recording what it drops or renames."""
        tokens = [code[i] for i in unit.tokens if code[i].kind != "punct" or code[i].text in "()"]
        words = [t.text if t.kind == "word" else "" for t in tokens]
        if not tokens:
            return None
        first = tokens[0]
        if words[0] == "add":
            rest = tokens[1:]
            if words[1:2] == ["column"]:
                rest = tokens[2:]
            rest = rest[3:] if [t.text for t in rest[:3]] == ["if", "not", "exists"] else rest
            if not rest:
                return None
            if rest[0].kind == "word" and rest[0].text in _NOT_A_COLUMN:
                key = _table_constraint(rest, table)
            else:
                column = rest[0].text
                self._event("column", Target(table.schema, table.table, None, (column,)), first)
                key, _ = _column_reference(rest, table, column)
                if key is None:
                    return table
            if key is not None:
                self._event("key", key, first)
            return key
        if words[:2] == ["drop", "constraint"]:
            names = tokens[4:5] if words[2:4] == ["if", "exists"] else tokens[2:3]
            if names and names[0].kind in ("word", "name"):
                self._event("drop-key", Target(table.schema, table.table, names[0].text), first)
        elif words[:2] == ["rename", "constraint"] and len(tokens) >= 5 and words[3] == "to":
            old = Target(table.schema, table.table, tokens[2].text)
            self._event("rename-key", old, first, tokens[4].text)
        elif words[:2] == ["rename", "to"] and len(tokens) >= 3:
            self._event("rename-table", table, first, tokens[2].text)
        return None

    def _drop_tables(self, code: list[Token]) -> None:
        """`DROP TABLE [IF EXISTS] name [, name ...]`."""
        at = _skip_words(code, 2, ("if", "exists"))
        while (name := _qualified_name(code, at)) is not None:
            schema, table, at = name
            self._event("drop-table", Target(schema, table), code[0])
            if at < len(code) and code[at].kind == "punct" and code[at].text == ",":
                at += 1
            else:
                break


def _is_directive(comment: str) -> bool:
    """A comment that starts with `fkaudit:ignore` (prose that mentions it is no directive)."""
    text = comment.strip()
    after = text[len(_DIRECTIVE) : len(_DIRECTIVE) + 1]
    return text.startswith(_DIRECTIVE) and after in ("", " ", "\t")


def _skip_words(code: list[Token], at: int, words: tuple[str, ...]) -> int:
    """Past `words` at `at` when they are all there."""
    found = [t.text for t in code[at : at + len(words)] if t.kind == "word"]
    return at + len(words) if tuple(found) == words else at


def _qualified_name(code: list[Token], at: int) -> tuple[str | None, str, int] | None:
    """(schema, name, index after it) of `[db.][schema.]name` at `at`."""
    if at >= len(code) or code[at].kind not in ("word", "name"):
        return None
    parts = [code[at].text]
    at += 1
    while (
        at + 1 < len(code)
        and code[at].kind == "punct"
        and code[at].text == "."
        and code[at + 1].kind in ("word", "name")
    ):
        parts.append(code[at + 1].text)
        at += 2
    return (parts[-2] if len(parts) > 1 else None), parts[-1], at


def _column_list(tokens: list[Token], at: int) -> tuple[str, ...]:
    """The names in the parenthesized list at `at` (PG18's `PERIOD` marker left out)."""
    if at >= len(tokens) or tokens[at].text != "(":
        return ()
    names = []
    for token in tokens[at + 1 :]:
        if token.kind == "punct" and token.text == ")":
            break
        if token.kind == "name" or (token.kind == "word" and token.text != "period"):
            names.append(token.text)
    return tuple(names)


def _table_constraint(tokens: list[Token], table: Target) -> Target | None:
    """`[CONSTRAINT name] FOREIGN KEY (columns) REFERENCES ...`: the key, else None."""
    name = None
    if tokens[0].text == "constraint" and tokens[0].kind == "word" and len(tokens) > 1:
        name, tokens = tokens[1].text, tokens[2:]
    if len(tokens) < 2 or [t.text for t in tokens[:2]] != ["foreign", "key"]:
        return None
    columns = _column_list(tokens, 2)
    return Target(table.schema, table.table, name, () if name else columns)


def _column_reference(tokens: list[Token], table: Target, column: str) -> tuple[Target | None, int]:
    """A column's `[CONSTRAINT name] REFERENCES ...` (outside parentheses) and the index of its
    first token, else (None, 0)."""
    depth = 0
    for position, token in enumerate(tokens):
        if token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
        elif depth == 0 and token.kind == "word" and token.text == "references":
            named = position >= 2 and tokens[position - 2].kind == "word"
            if named and tokens[position - 2].text == "constraint":
                return Target(table.schema, table.table, tokens[position - 1].text), position - 2
            return Target(table.schema, table.table, None, (column,)), position
    return None, 0
