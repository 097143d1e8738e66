"""SQL statements broken over lines to fit a width, without changing what they mean.

A fix statement is one line of SQL (`fkaudit.escape.printable_sql`). Where it is wider than the
terminal, the table shows it on lines of its own, broken only at spaces outside quoted tokens:
outside quotes a line break is whitespace like a space, so the lines copied together into psql
run exactly the statement fkaudit composed, and a quoted identifier or string (which may hold
spaces, `--` or quotes) is never cut. Continuation lines are indented further, so a statement
reads as one block.
"""

from __future__ import annotations

import re

from fkaudit.terminal import display_width

# A word of a statement: a run of anything but spaces, where the quoted tokens psycopg and
# fkaudit compose count as one piece whatever they hold: "identifier" ("" doubles a quote),
# E'escape string' (a backslash escapes the next character), 'string' ('' doubles a quote).
# A `--` comment runs to the end of the statement: broken, its words would become SQL. A
# quote character that opens no complete token (never composed, but possible in text handed
# in) is an ordinary character, so no character is ever lost. (psycopg never writes dollar
# quoting, so it is not looked for.)
_WORD = re.compile(
    r"""(?:"(?:[^"]|"")*"|(?<![A-Za-z0-9_])[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|--.*|[^ ])+""",
    re.S,
)


def words(statement: str) -> list[str]:
    """The pieces of `statement` between its spaces outside quoted tokens."""
    return _WORD.findall(statement)


def statement_lines(statement: str, width: int, indent: str, hang: str) -> list[str]:
    """`statement` on lines of at most `width` columns: the first indented by `indent`, the
    others by `hang`, each break at a space outside quotes. A word that fits on no line is
    shown whole on a line of its own: cutting it would change the statement."""
    measure = len if display_width(statement) == len(statement) else display_width
    if len(indent) + measure(statement) <= width:
        return [indent + statement]
    lines: list[str] = []
    current, used = indent, len(indent)
    bare = True  # nothing but indentation on the current line yet
    for word in words(statement):
        size = measure(word)
        if bare:
            current, used, bare = current + word, used + size, False
        elif used + 1 + size <= width:
            current, used = f"{current} {word}", used + 1 + size
        else:
            lines.append(current)
            current, used = hang + word, len(hang) + size
    lines.append(current)
    return lines
