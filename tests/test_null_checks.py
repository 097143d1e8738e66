"""fkaudit's reading of CHECK constraints agrees with what the server rejects.

For each CHECK expression the server stores (its node tree, as fkaudit reads it on this major),
and for each set of key columns written NULL, `rejects_nulls` must say "rejected" exactly when
the server refuses every row with those columns NULL, whatever the other columns hold (tried
with NULL, -1, 0 and 1, which decide every comparison used here). Expressions outside the
grammar fkaudit reads (null tests joined by AND, OR, NOT) must never be claimed to reject more
than the server does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from fkaudit.catalog import nodetree
from fkaudit.catalog.nodetree import not_null_attnums, null_formula, rejects_nulls
from tests.conftest import create_database, drop_database

COLUMNS = ("a", "b", "n")
VALUES = (None, -1, 0, 1)
NULL_SETS = (("a",), ("b",), ("a", "b"))

# Read exactly: fkaudit's verdict must equal the server's for every set of NULL columns.
EXACT = (
    "a IS NOT NULL",
    "a NOTNULL",
    "a IS NOT NULL AND n > 0",
    "n > 0 AND (n < 9 AND ((a IS NOT NULL) AND (b IS NOT NULL)))",
    "NOT (a IS NULL)",
    "NOT (a IS NULL OR b IS NULL)",
    "NOT (a IS NULL AND b IS NULL)",
    "NOT NOT (a IS NOT NULL)",
    "a IS NOT NULL OR b IS NOT NULL",
    "a IS NOT NULL OR n > 0",
    "(a IS NOT NULL OR b IS NOT NULL) AND b IS NOT NULL",
    "a IS NOT NULL AND b IS NOT NULL OR n > 0",
    "NOT (a IS NOT NULL)",
    "a IS NULL OR a > 0",
    "a > 0",
    "n IS NOT NULL",
)
# Beyond that grammar: fkaudit may miss a rejection, never invent one.
SOUND_ONLY = (
    "(a IS NOT NULL) IS TRUE",
    "(a IS NOT NULL) = true",
    "num_nonnulls(a, b) = 2",
    "coalesce(a, b) IS NOT NULL",
    "a + 0 IS NOT NULL",
    "CASE WHEN a IS NULL THEN false ELSE true END",
)


@pytest.fixture(scope="module")
def conn(server_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """One database for the module: each test replaces its only table, `t`."""
    dsn = create_database(server_dsn)
    with psycopg.connect(dsn, autocommit=True) as connection:
        yield connection
    drop_database(server_dsn, dsn)


def _check_table(conn: psycopg.Connection[Any], expression: str) -> tuple[dict[str, int], str]:
    """A table whose CHECK is the expression; its column attnums and the stored node tree.

    A dropped first column shifts the attnums, so they cannot match column positions by luck.
    """
    conn.execute("DROP TABLE IF EXISTS t")
    conn.execute("CREATE TABLE t (dropped int, a int, b int, n int)")
    conn.execute("ALTER TABLE t DROP COLUMN dropped")
    conn.execute(sql.SQL("ALTER TABLE t ADD CONSTRAINT k CHECK ({})").format(sql.SQL(expression)))
    attnums = dict(
        conn.execute(
            "SELECT attname, attnum FROM pg_catalog.pg_attribute "
            "WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped"
        ).fetchall()
    )
    (conbin,) = conn.execute(
        "SELECT conbin::text FROM pg_catalog.pg_constraint WHERE conrelid = 't'::regclass"
    ).fetchone() or (None,)
    assert conbin is not None
    return attnums, conbin


def _server_rejects(conn: psycopg.Connection[Any], nulls: tuple[str, ...]) -> bool:
    """Does the server refuse every row with these columns NULL?"""
    others = [c for c in COLUMNS if c not in nulls]
    for values in itertools.product(VALUES, repeat=len(others)):
        row = dict(zip(others, values, strict=True)) | dict.fromkeys(nulls)
        try:
            with conn.transaction():
                conn.execute("INSERT INTO t (a, b, n) VALUES (%(a)s, %(b)s, %(n)s)", row)
        except psycopg.errors.CheckViolation:
            continue
        return False
    return True


@pytest.mark.parametrize("expression", EXACT)
def test_reading_matches_the_server(conn: psycopg.Connection[Any], expression: str) -> None:
    attnums, conbin = _check_table(conn, expression)
    formula = null_formula(conbin)
    for nulls in NULL_SETS:
        ours = rejects_nulls(formula, [attnums[c] for c in nulls])
        assert ours == _server_rejects(conn, nulls), (expression, nulls, conbin)
    assert not_null_attnums(formula) == {attnums[c] for c in COLUMNS if _server_rejects(conn, (c,))}


@pytest.mark.parametrize("expression", SOUND_ONLY)
def test_reading_never_overclaims(conn: psycopg.Connection[Any], expression: str) -> None:
    attnums, conbin = _check_table(conn, expression)
    formula = null_formula(conbin)
    for nulls in NULL_SETS:
        if rejects_nulls(formula, [attnums[c] for c in nulls]):
            assert _server_rejects(conn, nulls), (expression, nulls, conbin)


def test_unreadable_node_trees_prove_nothing() -> None:
    for text in ("", "{NULLTEST :arg", "{NULLTEST} }", "(", "{" * 100_000):
        assert null_formula(text) is None
        assert not rejects_nulls(null_formula(text), [1])


@pytest.mark.parametrize("expression", [*EXACT, *SOUND_ONLY])
def test_the_fast_path_agrees_with_the_tree(conn: psycopg.Connection[Any], expression: str) -> None:
    """A lone `col IS [NOT] NULL` skips the tree on this major, and reads the same either way."""
    _, conbin = _check_table(conn, expression)
    assert null_formula(conbin) == nodetree._formula(nodetree.parse(conbin))
    lone = expression in ("a IS NOT NULL", "a NOTNULL", "n IS NOT NULL")
    assert bool(nodetree._LONE_NULL_TEST.fullmatch(conbin)) == lone, conbin


def test_tokens_split_as_the_server_reads() -> None:
    """Backslash-escaped delimiters stay inside their token, with or without the fast split."""
    escaped = r"{A :x a\ b\(c\} (i 1 2) <> \{ :y z}"
    assert nodetree.tokens(escaped) == [
        "{",
        "A",
        ":x",
        r"a\ b\(c\}",
        "(",
        "i",
        "1",
        "2",
        ")",
        "<>",
        r"\{",
        ":y",
        "z",
        "}",
    ]
    assert nodetree.tokens("{A\t:x\n(b)}") == ["{", "A", ":x", "(", "b", ")", "}"]
