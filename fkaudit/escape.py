"""Text from the database made safe to print: one line, nothing a reader can mistake for code.

PostgreSQL names, comments, default expressions and row values may hold line breaks and other
control characters. Written raw, a constraint named `"x<newline>DROP TABLE victim;<newline>--"`
ends the `--` comment fkaudit writes it into and runs as a statement of the `fix` script, and a
name holding `<newline>::error ...` becomes a GitHub workflow command in a CI log. So:

- prose (messages, comments, names shown to people) goes through `printable`, which shows every
  character that is not printable as an escape (`\\n`, `\\x1b`, `\\u2028`);
- SQL statements go through `printable_sql`, which rewrites each quoted identifier or string
  constant holding such a character into PostgreSQL's escaped spelling (`U&"a\\000Ab"`,
  `E'a\\nb'`). The statement means exactly the same to the server and is one line of printable
  text, so it can be printed, commented out or quoted without anything escaping its place.
"""

from __future__ import annotations

import re

# `str.isprintable` is False for the C0/C1 controls, DEL, the line and paragraph separators and
# format characters such as the bidirectional overrides that can make code read differently.


def printable(text: str) -> str:
    """`text` on one line, every non-printable character shown as a Python-style escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    if named:
        return named
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable_json(encoded: str) -> str:
    """JSON text with the characters the encoder leaves raw (U+2028, C1 controls) as escapes.

    `ensure_ascii=False` keeps names readable but writes those characters as they are; escaped,
    the document decodes to the same value and every line of it stays one line in a log.
    """
    import json  # only the JSON formats need it; not `fkaudit --help`

    return "\n".join(
        line
        if line.isprintable()
        else "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in line)
        for line in encoded.split("\n")
    )  # a raw line break in JSON text is always whitespace between tokens: kept


# The tokens psycopg and the server's deparser write that can carry arbitrary text: a quoted
# identifier ("" doubles a quote), a standard string ('' doubles a quote) and an escape string
# (E'...', where a backslash escapes the next character). Everything else in a statement they
# compose is keywords, operators and numbers.
_QUOTED = re.compile(
    r'"(?:[^"]|"")*"'  # "identifier"
    r"|(?<![A-Za-z0-9_])[Ee]'(?:[^'\\]|\\.|'')*'"  # E'escape string'
    r"|'(?:[^']|'')*'",  # 'string'
    re.S,
)


def printable_sql(statement: str) -> str:
    """`statement` with every quoted token holding a non-printable character re-spelled escaped.

    Raises ValueError when a non-printable character is left outside any quoted token: the
    statement was not composed by psycopg or the server, and printing it would not be safe.
    """
    if statement.isprintable():
        return statement
    rewritten = _QUOTED.sub(_respell, statement)
    if not rewritten.isprintable():
        raise ValueError(
            f"refusing to print a statement with raw control characters: {printable(statement)}"
        )
    return rewritten


def _respell(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.isprintable():
        return token
    if token.startswith('"'):
        return _unicode_identifier(token[1:-1].replace('""', '"'))
    if token[0] in "Ee":
        return _escape_string(_unescape(token[2:-1]))
    return _escape_string(token[1:-1].replace("''", "'"))


def _unicode_identifier(name: str) -> str:
    """`U&"..."`: a quoted identifier whose non-printable characters are `\\XXXX` escapes.

    Unlike U&'' string constants, U&"" identifiers do not depend on
    standard_conforming_strings.
    """
    parts = []
    for ch in name:
        if ch == "\\":
            parts.append("\\\\")
        elif ch == '"':
            parts.append('""')
        elif ch.isprintable():
            parts.append(ch)
        elif ord(ch) <= 0xFFFF:
            parts.append(f"\\{ord(ch):04X}")
        else:
            parts.append(f"\\+{ord(ch):06X}")
    return 'U&"' + "".join(parts) + '"'


def _escape_string(value: str) -> str:
    """`E'...'`: a string constant with backslash escapes, valid whatever the server settings."""
    parts = []
    for ch in value:
        if ch == "\\":
            parts.append("\\\\")
        elif ch == "'":
            parts.append("''")
        elif ch.isprintable():
            parts.append(ch)
        elif ord(ch) <= 0x7F:
            parts.append(f"\\x{ord(ch):02X}")
        elif ord(ch) <= 0xFFFF:
            parts.append(f"\\u{ord(ch):04X}")
        else:
            parts.append(f"\\U{ord(ch):08X}")
    return " E'" + "".join(parts) + "'"


_BACKSLASH_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(body: str) -> str:
    """The value of an E'' body as psycopg writes it (`\\\\` and `''` only, plus simple escapes)."""
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_BACKSLASH_ESCAPES.get(nxt, nxt))
            i += 2
        elif ch == "'" and body[i + 1 : i + 2] == "'":
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
