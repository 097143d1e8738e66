"""The table format's own layout: wrapping at spaces only, fitted to a width, statements
broken only where SQL allows."""

from __future__ import annotations

import random
import textwrap
import unicodedata

from fkaudit.reporters.columns import (
    MAX_MESSAGE,
    Layout,
    hanging,
    keep_whole,
    layout,
    row,
    wrap,
)
from fkaudit.reporters.statements import statement_lines, words
from fkaudit.terminal import display_width, fit


def test_wrap_breaks_where_textwrap_does_without_splitting_words() -> None:
    """Compared with textwrap on random one-line texts: runs of spaces, words longer than
    the width, hyphens (never a break: a quoted name may hold them)."""
    rng = random.Random(13)
    alphabet = "abc-—.|"
    for _ in range(3000):
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 3, 8, 20, 40])))
            for _ in range(rng.randint(0, 25))
        ]
        text = "".join(word + " " * rng.choice([1, 1, 1, 2, 3]) for word in words).rstrip(" ")
        width = rng.choice([10, 20, 36, 72])
        expected = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
        assert wrap(text, width) == (expected or [""]), (text, width)


def test_a_long_name_is_never_split() -> None:
    name = "public." + "x" * 80 + "-with-hyphens"
    lines = wrap(f"no index on {name} (customer_id) serves this foreign key", 72)
    assert lines == ["no index on", name, "(customer_id) serves this foreign key"]


def test_names_get_a_column_when_the_message_keeps_enough_room() -> None:
    names = ["fk_a", "fk_orders_customer"]
    where = layout(18, names, 120)
    assert where == Layout(lead=18, name_width=18, message_at=38, message_width=82)
    lines = list(row("L" * 18, "fk_a", wrap("word " * 30, where.message_width), where))
    assert lines[0] == "L" * 18 + "fk_a".ljust(18) + "  " + ("word " * 16).strip()
    assert lines[1] == " " * 38 + ("word " * 14).strip()
    assert all(len(line) <= 120 for line in lines)


def test_names_go_on_a_line_of_their_own_when_a_column_would_squeeze_the_message() -> None:
    """At 80 columns a 26-character name would leave the message 34: the block is stacked,
    every name alone on its row's line and the messages under them from column 18."""
    names = ["short", "addresses_customer_id_fkey"]
    where = layout(18, names, 80)
    assert where == Layout(lead=18, name_width=0, message_at=18, message_width=62)
    lines = list(row("L" * 18, names[1], wrap("word " * 30, where.message_width), where))
    assert lines[0] == "L" * 18 + names[1]
    assert lines[1] == " " * 18 + ("word " * 12).strip()
    assert all(len(line) <= 80 for line in lines) and len(lines) == 4
    # A row without a name starts its message on the row's line.
    assert list(row("L" * 18, "", ["msg"], where)) == ["L" * 18 + "msg"]


def test_messages_wrap_at_a_readable_width_on_wide_terminals() -> None:
    where = layout(18, ["fk"], 300)
    assert where.message_width == MAX_MESSAGE
    assert layout(18, [], 30).message_width >= 20  # below MIN_WIDTH: still words per line


def test_spaces_inside_kept_names_are_not_breaks() -> None:
    name = "public.my very long table name"
    text = keep_whole(f"no index on {name} (customer id) serves this foreign key", [name, "x y"])
    lines = wrap(text, 20)
    assert name in lines and all(len(line) <= 20 or line == name for line in lines)
    assert " ".join(lines) == f"no index on {name} (customer id) serves this foreign key"
    assert keep_whole("a b", ["nospace"]) == "a b"


def test_hanging_lines_are_indented() -> None:
    lines = hanging("word " * 40, 60, "  ")
    assert lines[0].startswith("word") and all(line.startswith("  word") for line in lines[1:])
    assert all(len(line) <= 60 for line in lines)
    assert hanging("short", 60, "  ") == ["short"]


# -- statements ------------------------------------------------------------------------------


def test_statements_break_only_at_spaces_outside_quotes() -> None:
    statement = (
        'ALTER TABLE "my schema"."a ""quoted"" table" ADD CHECK (x <> \'a b  c\') -- a comment'
    )
    lines = statement_lines(statement, 24, "    ", "      ")
    assert lines == [
        "    ALTER TABLE",
        '      "my schema"."a ""quoted"" table"',  # wider than 24: whole
        "      ADD CHECK (x <>",
        "      'a b  c')",
        "      -- a comment",  # a comment is never broken: its words would become SQL
    ]
    assert " ".join(line.strip() for line in lines) == statement


def test_escape_strings_keep_their_backslashed_quotes() -> None:
    statement = "SELECT E'it\\'s a b' AS \"c d\", 'x''y z' FROM t"
    assert words(statement) == ["SELECT", "E'it\\'s a b'", "AS", '"c d",', "'x''y z'", "FROM", "t"]
    assert words("SELECT 'unterminated a") == ["SELECT", "'unterminated", "a"]


def test_a_statement_that_fits_is_one_line() -> None:
    assert statement_lines("SELECT 1;", 20, "    ", "      ") == ["    SELECT 1;"]
    random_statements = random.Random(5)
    for _ in range(2000):
        parts = [
            random_statements.choice(["x", '"a b"', "'c  d'", "E'\\' e'", 'U&"f\\0041 g"', "(y)"])
            for _ in range(random_statements.randint(1, 12))
        ]
        statement = " ".join(parts)
        width = random_statements.choice([10, 20, 40, 80])
        lines = statement_lines(statement, width, "  ", "    ")
        assert " ".join(line.strip() for line in lines) == statement
        assert words(statement) == parts
        for line in lines:
            assert len(line) <= width or " " not in line.strip() or line.strip() in parts, line


# -- characters wider than a column ----------------------------------------------------------


def _columns(text: str) -> int:
    """Terminal columns, counted independently of fkaudit: wide and fullwidth take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_wide_characters_count_two_columns() -> None:
    assert display_width("注文 — x") == 8 and display_width("plain — text") == 12
    assert display_width("e\u0301") == 1  # a combining accent takes none
    text = "no index on public.注文明細 (顧客番号) serves this foreign key: each delete " * 3
    lines = wrap(text.strip(), 30)
    assert all(_columns(line) <= 30 for line in lines) and len(lines) > 5
    assert " ".join(lines) == " ".join(text.split())
    where = layout(16, ["注文明細の外部キー"], 100)  # 18 columns, 9 characters
    assert where.name_width == 18
    row_line = next(row("L" * 16, "注文明細の外部キー", ["m"], where))
    assert row_line == "L" * 16 + "注文明細の外部キー" + "  m"


def test_wide_statements_and_cut_lines_fit_their_columns() -> None:
    statement = 'CREATE INDEX "注文明細_顧客番号_idx" ON "販売"."注文明細" ("顧客番号");'
    lines = statement_lines(statement, 30, "  ", "    ")
    assert all(_columns(line) <= 30 for line in lines) and len(lines) == 4
    assert fit("注文明細テーブル", 9) == "注文明..." and _columns(fit("注文明細テーブル", 9)) <= 9
    assert fit("short", 9) == "short"
