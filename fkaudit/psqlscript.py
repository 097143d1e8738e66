"""Read a psql script as data: its SQL statements, COPY data blocks and pg_dump's meta-commands.

Schema files used to be handed to psql, which runs whatever backslash command a file holds:
`\\! cmd` is a shell, `\\o |cmd` a pipe, `\\copy ... program`, `\\i` other files. A schema file
is data, so fkaudit no longer gives it to psql: it is split here into what psql would send to the
server, and `fkaudit.schemafile` sends each statement itself. The only meta-commands accepted are
the ones real pg_dump and pg_dumpall output holds (PostgreSQL 12-18, `--schema-only`, `--create`,
full dumps): `\\connect DB` (or `\\connect -reuse-previous=on "dbname='...'"`), `\\encoding NAME`
and `\\restrict KEY` / `\\unrestrict KEY` (the minors of August 2025 on), plus the `\\.` that ends a
`COPY ... FROM stdin` data block. Any other backslash outside quotes, comments and dollar quotes
is refused with its file and line before anything is applied.

The splitting follows psql's lexer (src/fe_utils/psqlscan.l, PostgreSQL 18): a backslash
command starts at any `\\` outside a quoted string (`'...'`, `E'...'` with its backslash escapes
and `''`, `U&'...'`, `B'...'`, `X'...'`, continued across newlines), a quoted identifier, a
`--` or nested `/* */` comment or a `$tag$` dollar quote, and an identifier swallows the `$` in
`a$b$`. A statement ends at a `;` outside parentheses and outside a `BEGIN ... END` SQL-standard
function body. Since nothing in a file runs on this machine any more, a file that confuses this
reader (a client-only encoding such as SJIS, where a `\\` byte may belong to a character) can at
worst be split wrongly and fail in the server, never run a command.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from fkaudit.errors import FkauditError


@dataclass(frozen=True)
class Statement:
    """SQL text sent as one query, from its first token through its `;`."""

    line: int
    text: bytes
    # Where it lies in the text read: the index of its first token and the index after it.
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CopyIn:
    """`COPY ... FROM stdin;` and the data lines after it, up to the `\\.` line."""

    line: int
    text: bytes
    data: bytes
    data_line: int
    # The index of its first token, and the index after its data (the `\\.` line's end).
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Connect:
    """`\\connect DB`: the following statements go to database DB (pg_dump --create)."""

    line: int
    dbname: str


@dataclass(frozen=True)
class Encoding:
    """`\\encoding NAME`: the client encoding of the statements that follow."""

    line: int
    name: str


Step = Statement | CopyIn | Connect | Encoding


@dataclass(frozen=True)
class Script:
    path: Path
    steps: tuple[Step, ...]


class ScriptError(FkauditError):
    """A file fkaudit will not apply: `path:line: why`, exit 2."""


_ALLOWED = "only SQL, COPY data and pg_dump's \\connect, \\encoding, \\restrict and \\unrestrict"
_SPACE = " \t\n\r\f"
_SPACES = re.compile(r"[ \t\n\r\f]+")
# Characters that start nothing: operators, commas, dots (`-` and `/` may start a comment).
_OTHER = re.compile(r"[^ \t\n\r\f\-/\\;()'\"$A-Za-z0-9_\x80-\xff]+|.", re.DOTALL)
_INCLUDES = ("\\i", "\\ir", "\\include", "\\include_relative")
_IDENT_START = re.compile(r"[A-Za-z\x80-\xff_]")
_IDENT = re.compile(r"[A-Za-z\x80-\xff_][A-Za-z\x80-\xff_0-9$]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z\x80-\xff_][A-Za-z\x80-\xff_0-9]*)?\$")
_PARAM = re.compile(r"\$[0-9]+(?:[A-Za-z\x80-\xff_][A-Za-z\x80-\xff_0-9$]*)?")
_NUMBER = re.compile(r"[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?(?:[eE][-+]?[0-9]+)?")
# After a closing quote, whitespace holding a newline and another quote continue the string.
_QUOTE_CONTINUE = re.compile(r"(?:[ \t\f]|--[^\n\r]*)*[\n\r](?:[ \t\n\r\f]+|--[^\n\r]*[\n\r])*'")
_KEY = re.compile(r"[A-Za-z0-9]+")
_ENCODING = re.compile(r"[A-Za-z0-9_]+")
_CONNECT = re.compile(r'(?:-reuse-previous=(?:on|off)\s+)?("(?:[^"]|"")+"|[^\s"\'\\`:]+)')
_SET_STD_STRINGS = re.compile(
    r"set\s+(?:session\s+)?standard_conforming_strings\s*(?:=|to)\s*'?(on|off|true|false)'?\s*;",
    re.IGNORECASE,
)


def read_script(path: Path, text: str) -> Script:
    """The steps of `text` (the file's bytes decoded as Latin-1: one character per byte).

    Raises ScriptError at the first meta-command that is not pg_dump's.
    """
    return Script(path, tuple(_Reader(path, text).steps()))


class _Reader:
    """One pass over a script, psql's lexer states as methods returning the next index."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.s = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.std_strings = True  # pg_dump writes `SET standard_conforming_strings = on;`

    def line(self, index: int) -> int:
        return bisect.bisect_left(self.newlines, index) + 1

    def fail(self, index: int, message: str) -> ScriptError:
        return ScriptError(f"{self.path}:{self.line(index)}: {message}")

    def end_of_line(self, index: int) -> int:
        found = self.s.find("\n", index)
        return len(self.s) if found < 0 else found

    # -- statements ---------------------------------------------------------------------

    def steps(self) -> list[Step]:
        """One loop mirroring the lexer's INITIAL state."""
        s, n, i = self.s, len(self.s), 0
        steps: list[Step] = []
        start: int | None = None  # first token of the statement being read
        paren = begin = 0
        words: list[tuple[str, int]] = []  # the statement's words and their paren depth
        function = False  # CREATE [OR REPLACE] FUNCTION|PROCEDURE: BEGIN ... END counted
        while i < n:
            c = s[i]
            if c in _SPACE:
                i = _SPACES.match(s, i).end()  # type: ignore[union-attr]  # c matched
                continue
            if s.startswith("--", i):
                i = min(self.end_of_line(i), _next_cr(s, i))
                continue
            if s.startswith("/*", i):
                i = self.comment(i)
                continue
            if c == "\\":
                if start is not None or paren:
                    raise self.fail(
                        i,
                        f"psql meta-command {self.command_name(i)} inside a "
                        f"statement: a schema file holds {_ALLOWED}",
                    )
                step, i = self.meta_command(i)
                if step is not None:
                    steps.append(step)
                continue
            if start is None:
                start = i
            if c == ";":
                i += 1
                if paren or begin:
                    continue
                text = s[start:i]
                step_line = self.line(start)
                if _is_copy_in(words):
                    copy, i = self.copy_data(step_line, text, i)
                    steps.append(replace(copy, start=start, end=i))
                else:
                    steps.append(Statement(step_line, text.encode("latin-1"), start, i))
                    if match := _SET_STD_STRINGS.fullmatch(text):
                        self.std_strings = match[1].lower() in ("on", "true")
                start, words, function = None, [], False
                continue
            if c == "(":
                paren += 1
                i += 1
            elif c == ")":
                paren = max(paren - 1, 0)
                i += 1
            elif c == "'" or (c in "eE" and s.startswith("'", i + 1)):
                i = self.string(i + (c != "'"), escapes=c != "'" or not self.std_strings)
            elif c in "bBxX" and s.startswith("'", i + 1):
                i = self.string(i + 1, escapes=False, doubled=False)
            elif c in "uU" and s.startswith("&'", i + 1):
                i = self.string(i + 2, escapes=False)
            elif c in "uU" and s.startswith('&"', i + 1):
                i = self.quoted_identifier(i + 2)
            elif c == '"':
                i = self.quoted_identifier(i)
            elif c == "$":
                i = self.dollar(i)
            elif _IDENT_START.match(c):
                word = _IDENT.match(s, i)
                assert word is not None
                lowered = word[0].lower()
                words.append((lowered, paren))
                if len(words) <= 4:
                    function = _function_head([w for w, _ in words])
                if function and not paren:
                    begin = _begin_depth(lowered, begin)
                i = word.end()
            elif c.isdigit() and c.isascii():
                number = _NUMBER.match(s, i)
                assert number is not None
                i = number.end()
            else:
                i = _OTHER.match(s, i).end()  # type: ignore[union-attr]  # c matched
        if start is not None:  # psql sends a last statement without `;` at the end of the file
            steps.append(Statement(self.line(start), s[start:].encode("latin-1"), start, n))
        return steps

    # -- lexer states ------------------------------------------------------------------

    def comment(self, i: int) -> int:
        """Past the `/* ... */` at i, nested comments counted as the server does."""
        s, depth, i = self.s, 0, i + 2
        while i < len(self.s):
            if s.startswith("/*", i):
                depth, i = depth + 1, i + 2
            elif s.startswith("*/", i):
                if depth == 0:
                    return i + 2
                depth, i = depth - 1, i + 2
            else:
                i += 1
        return i

    def string(self, quote: int, *, escapes: bool, doubled: bool = True) -> int:
        """Past the string whose opening quote is at `quote`, continuations included.

        `escapes`: an E'' string (or any string when standard_conforming_strings is off),
        where a backslash takes the next character along, `\\'` included.
        """
        s, i = self.s, quote + 1
        while True:
            while i < len(s):
                c = s[i]
                if escapes and c == "\\":
                    i += 2
                elif c == "'":
                    if doubled and s.startswith("'", i + 1):
                        i += 2
                    else:
                        break
                else:
                    i += 1
            else:
                return len(s)
            i += 1  # the closing quote
            more = _QUOTE_CONTINUE.match(s, i)
            if more is None:
                return i
            i = more.end()

    def quoted_identifier(self, quote: int) -> int:
        end = quote + 1
        while True:
            end = self.s.find('"', end)
            if end < 0:
                return len(self.s)
            if not self.s.startswith('"', end + 1):
                return end + 1
            end += 2

    def dollar(self, i: int) -> int:
        tag = _DOLLAR_TAG.match(self.s, i)
        if tag is None:
            param = _PARAM.match(self.s, i)
            return param.end() if param else i + 1
        end = self.s.find(tag[0], tag.end())
        return len(self.s) if end < 0 else end + len(tag[0])

    # -- backslash -----------------------------------------------------------------------

    def command_name(self, i: int) -> str:
        name = re.match(r"[^\s\\]*", self.s[i + 1 :])
        return "\\" + (name[0] if name and name[0] else self.s[i + 1 : i + 2])

    def meta_command(self, i: int) -> tuple[Step | None, int]:
        """The allowed meta-command at i and the index after its line, or ScriptError."""
        name = self.command_name(i)
        end = self.end_of_line(i)
        rest = self.s[i + len(name) : end].strip()
        line = self.line(i)
        if name in ("\\restrict", "\\unrestrict") and _KEY.fullmatch(rest):
            return None, end
        if name == "\\encoding" and _ENCODING.fullmatch(rest):
            return Encoding(line, rest), end
        if name in ("\\connect", "\\c"):
            return Connect(line, self.connect_target(i, rest)), end
        shown = name if len(name) <= 20 else name[:20] + "..."
        if name in ("\\restrict", "\\unrestrict", "\\encoding"):
            raise self.fail(
                i,
                f"{name} takes one plain word (pg_dump writes a letters-and-digits "
                "key or an encoding name), nothing else",
            )
        hint = "; give several files with --migrations DIR" if name in _INCLUDES else ""
        raise self.fail(
            i,
            f"psql meta-command {shown} refused: a schema file may hold "
            f"{_ALLOWED} (fkaudit runs nothing on this machine){hint}",
        )

    def connect_target(self, i: int, rest: str) -> str:
        """The database of `\\connect`: a name, or a conninfo string naming only `dbname`."""
        match = _CONNECT.fullmatch(rest)
        problem = "\\connect takes one database name (as pg_dump writes it), nothing else"
        if match is None:
            raise self.fail(i, problem)
        target = match[1]
        if target.startswith('"'):
            target = target[1:-1].replace('""', '"')
        if "=" in target or target.startswith(("postgresql:", "postgres:")):
            try:
                params = conninfo_to_dict(target)
            except Exception as exc:  # psycopg.ProgrammingError: not a conninfo string
                raise self.fail(i, f"\\connect: {exc}") from None
            if set(params) != {"dbname"}:
                raise self.fail(
                    i,
                    "\\connect may name a database only (dbname=...), no host, "
                    "user or other connection setting",
                )
            target = str(params["dbname"])
        if not target or target == "-":
            raise self.fail(i, problem)
        return target

    def copy_data(self, line: int, text: str, i: int) -> tuple[CopyIn, int]:
        """The data lines after a `COPY ... FROM stdin;` ending at i, up to a `\\.` line."""
        s = self.s
        after = self.end_of_line(i)
        if s[i:after].strip():
            raise self.fail(
                i,
                "text after COPY ... FROM stdin; on the same line: psql would "
                "read the data first; put it after the \\. line",
            )
        data_start = min(after + 1, len(s))
        j = data_start
        while j < len(s):
            stop = self.end_of_line(j)
            row = s[j:stop].rstrip("\r")
            if row == "\\.":
                copy = CopyIn(
                    line,
                    text.encode("latin-1"),
                    s[data_start:j].encode("latin-1"),
                    self.line(data_start),
                )
                return copy, stop
            if row.startswith("\\.") and not row.startswith("\\.\\"):
                raise self.fail(
                    j,
                    "COPY data line starting with \\. but not \\. alone: where "
                    "the data ends is ambiguous",
                )
            j = stop + 1
        copy = CopyIn(
            line, text.encode("latin-1"), s[data_start:].encode("latin-1"), self.line(data_start)
        )
        return copy, len(s)


@dataclass(frozen=True, slots=True)
class Token:
    """One token of SQL text, for reading what a statement says (`fkaudit.sqlsource`).

    `kind` is `word` (an unquoted identifier or keyword, its ASCII letters folded to lower case
    as PostgreSQL folds them), `name` (a quoted identifier as it reads inside the quotes),
    `comment` (a `--` comment: the text after the dashes), `block` (a `/* */` comment),
    `punct` (one of `( ) , . ;`) or `other` (a literal, number, operator or backslash line).
    Words and names are decoded as UTF-8 (the text is read one character per byte).
    """

    kind: str
    text: str
    start: int  # index in the text


_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# As `_OTHER`, without `,` and `.`: `text[],` must leave the comma a token of its own.
_OTHER_TOKEN = re.compile(r"[^ \t\n\r\f\-/\\;()'\"$A-Za-z0-9_\x80-\xff,.]+|.", re.DOTALL)


def _utf8(text: str) -> str:
    """Text read as Latin-1 (one character per byte) as the UTF-8 it spells."""
    return text if text.isascii() else text.encode("latin-1").decode("utf-8", "replace")


_UESCAPE = re.compile(r"\s*uescape\s*'([^'])'", re.IGNORECASE)


def _unicode_escapes(name: str, escape: str) -> str:
    """The name a `U&"..."` identifier spells: `\\XXXX`, `\\+XXXXXX` and a doubled escape."""
    pattern = (
        re.escape(escape) + r"(?:(" + re.escape(escape) + r")|\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))"
    )

    def decode(match: re.Match[str]) -> str:
        if match[1]:
            return escape
        try:
            return chr(int(match[2] or match[3], 16))
        except ValueError:  # beyond Unicode: the server refused the file already
            return match[0]

    return re.sub(pattern, decode, name)


class SqlText:
    """A psql script read once: its steps, and its tokens between any two of its indexes.

    The tokens follow the same lexer states as the split (strings with their escapes and
    continuations, quoted identifiers, dollar quotes, nested comments), so a `--` inside a
    string or a `REFERENCES` inside a function body is never read as one.
    """

    def __init__(self, path: Path, text: str) -> None:
        self._reader = _Reader(path, text)
        self.text = text
        self.steps = tuple(self._reader.steps())
        # Where `standard_conforming_strings` changed, as the split saw it: (index, on).
        self._std_strings = [(0, True)]
        for step in self.steps:
            if isinstance(step, Statement):
                match = _SET_STD_STRINGS.fullmatch(step.text.decode("latin-1"))
                if match:
                    self._std_strings.append((step.end, match[1].lower() in ("on", "true")))

    def line(self, index: int) -> int:
        """The 1-based line of the character at `index`."""
        return self._reader.line(index)

    def tokens(self, start: int, end: int) -> Iterator[Token]:
        """The tokens of `text[start:end]`, which must begin outside any string or comment."""
        r, s = self._reader, self.text
        at = bisect.bisect_right(self._std_strings, (start, True)) - 1
        std = self._std_strings[max(at, 0)][1]
        i = start
        while i < end:
            c = s[i]
            if c in _SPACE:
                i = _SPACES.match(s, i).end()  # type: ignore[union-attr]  # c matched
                continue
            if s.startswith("--", i):
                stop = min(r.end_of_line(i), _next_cr(s, i))
                yield Token("comment", _utf8(s[i + 2 : stop]), i)
                i = stop
                continue
            if s.startswith("/*", i):
                yield Token("block", "", i)
                i = r.comment(i)
                continue
            if c == "\\":  # a meta-command the split accepted: to the end of its line
                stop = r.end_of_line(i)
                yield Token("other", s[i:stop], i)
                i = stop
                continue
            if c in "(),.;":
                yield Token("punct", c, i)
                i += 1
                continue
            if c == "'" or (c in "eE" and s.startswith("'", i + 1)):
                j = r.string(i + (c != "'"), escapes=c != "'" or not std)
            elif c in "bBxX" and s.startswith("'", i + 1):
                j = r.string(i + 1, escapes=False, doubled=False)
            elif c in "uU" and s.startswith("&'", i + 1):
                j = r.string(i + 2, escapes=False)
            elif c in "uU" and s.startswith('&"', i + 1):
                j = r.quoted_identifier(i + 2)
                escape = _UESCAPE.match(s, j)
                name = _utf8(s[i + 3 : j - 1].replace('""', '"'))
                yield Token("name", _unicode_escapes(name, escape[1] if escape else "\\"), i)
                i = escape.end() if escape else j
                continue
            elif c == '"':
                j = r.quoted_identifier(i)
                yield Token("name", _utf8(s[i + 1 : j - 1].replace('""', '"')), i)
                i = j
                continue
            elif c == "$":
                j = r.dollar(i)
            elif _IDENT_START.match(c):
                word = _IDENT.match(s, i)
                assert word is not None
                yield Token("word", _utf8(word[0].translate(_FOLD)), i)
                i = word.end()
                continue
            elif c.isdigit() and c.isascii():
                j = _NUMBER.match(s, i).end()  # type: ignore[union-attr]  # c matched
            else:
                j = _OTHER_TOKEN.match(s, i).end()  # type: ignore[union-attr]  # c matched
            yield Token("other", s[i:j], i)
            i = j


def _next_cr(s: str, i: int) -> int:
    found = s.find("\r", i)
    return len(s) if found < 0 else found


_HEAD_WORDS = ("create", "function", "procedure", "or", "replace")


def _function_head(words: list[str]) -> bool:
    """Whether a statement's first words are `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, as psql
    judges it (first letters of the first four words that are among those keywords)."""
    first = [w[0] if w in _HEAD_WORDS else "" for w in words[:4]]
    first += [""] * (4 - len(first))
    return first[0] == "c" and (
        first[1] in ("f", "p") or (first[1] == "o" and first[2] == "r" and first[3] in ("f", "p"))
    )


def _begin_depth(word: str, begin: int) -> int:
    """psql's count of BEGIN ... END in such a statement (SQL-standard bodies, `BEGIN
    ATOMIC`), outside parentheses: the `;` inside do not end the statement."""
    if word == "begin" or (word == "case" and begin >= 1):
        return begin + 1
    if word == "end" and begin > 0:
        return begin - 1
    return begin


def _is_copy_in(words: list[tuple[str, int]]) -> bool:
    """`COPY table [(columns)] FROM STDIN ...`: the server then reads data lines."""
    if not words or words[0][0] != "copy":
        return False
    top = [w for w, depth in words if depth == 0]
    return any(a == "from" and b == "stdin" for a, b in itertools.pairwise(top))
