"""The pure parts of tests/ri_oracle.py: reading Index Cond text, partition bounds, and the
grading rules of each access method. The oracle is the ground truth of FK101/FK102, so its
reading of plans is pinned down here on every printed form the research of issue 12 saw."""

from __future__ import annotations

import pytest

from tests.ri_oracle import (
    Equality,
    Grade,
    IndexColumn,
    IndexInfo,
    _bound_groups,
    _grade_columns,
    _index_bounds,
    equalities,
)


@pytest.mark.parametrize(
    ("condition", "columns"),
    [
        ("(f = $1)", ["f"]),
        ("($1 = f)", ["f"]),
        ("(f = ($1)::text)", ["f"]),
        ("((f)::text = $1)", ["f"]),
        ("((f)::text = ($1)::text)", ["f"]),
        ("((f)::integer = $1)", ["f"]),
        ("(f = ($1)::integer)", ["f"]),
        ("((a = $1) AND (b = $2))", ["a", "b"]),
        ("((b = $2) AND (a = $1))", ["b", "a"]),
        ('("Parent Id" = $1)', ["Parent Id"]),
        ('(("we""ird")::integer = $1)', ['we"ird']),
        ('((f)::text = ($1)::text COLLATE "C")', ["f"]),
        ('((f COLLATE "C") = $1)', ["f"]),
        ("(x.f = $1)", ["f"]),
        ("(f OPERATOR(pg_catalog.=) $1)", ["f"]),
        ('(("a b")::text = $1) AND ("x"" = $2" = $2)', ["a b", 'x" = $2']),
    ],
)
def test_equalities_name_the_column_in_every_printed_form(
    condition: str, columns: list[str]
) -> None:
    assert [e.column for e in equalities(condition)] == columns


def test_expression_operands_are_kept_whole() -> None:
    assert equalities("((f)::numeric = $1)") == [Equality("(f)::numeric", "f")]
    assert equalities("((f + 0) = $1)") == [Equality("f + 0", None)]


def test_comparisons_without_a_parameter_are_not_equalities() -> None:
    assert equalities("(f = g)") == []
    assert equalities("(f = 1)") == []
    assert equalities("(f > $1)") == []


@pytest.mark.parametrize(
    ("bound", "groups"),
    [
        ("FOR VALUES IN (1)", [["1"]]),
        ("FOR VALUES IN ('a', 'b')", [["a", "b"]]),
        ("FOR VALUES IN ('it''s', NULL)", [["it's", None]]),
        ("FOR VALUES IN ('x,y')", [["x,y"]]),
        ("FOR VALUES FROM (MINVALUE, 1) TO (10, MAXVALUE)", [[None, "1"], ["10", None]]),
        ("FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')", [["2026-01-01"], ["2026-02-01"]]),
        ("DEFAULT", []),
    ],
)
def test_bound_groups(bound: str, groups: list[list[str | None]]) -> None:
    assert _bound_groups(bound) == groups


def _index(method: str, *names: str) -> IndexInfo:
    columns = tuple(IndexColumn(n, n, frozenset({n})) for n in names)
    return IndexInfo(1, "i", method, columns)


@pytest.mark.parametrize(
    ("method", "keys", "condition", "major", "bounded"),
    [
        ("btree", ("a", "b"), "((a = $1) AND (b = $2))", 12, ["a", "b"]),
        ("btree", ("b", "a"), "((b = $2) AND (a = $1))", 12, ["b", "a"]),
        # 12-17 give the condition to the first a only: the second a ends the run.
        ("btree", ("a", "a", "b"), "((a = $1) AND (b = $2))", 17, ["a"]),
        ("btree", ("a", "a", "b"), "((a = $1) AND (b = $2))", 18, ["a", "b"]),
        ("btree", ("b", "a", "a"), "((b = $2) AND (a = $1))", 12, ["b", "a"]),
        ("btree", ("a", "x", "b"), "((a = $1) AND (b = $2))", 18, ["a"]),
        ("btree", ("x", "a", "b"), "((a = $1) AND (b = $2))", 18, []),
        ("hash", ("a",), "(a = $1)", 12, ["a"]),
        ("spgist", ("f",), "(f = $1)", 12, ["f"]),
        ("gist", ("x", "b"), "(b = $2)", 12, ["b"]),
        ("gin", ("x", "a", "b"), "((a = $1) AND (b = $2))", 12, ["a", "b"]),
        ("brin", ("a",), "(a = $1)", 18, []),
        ("bloom", ("a", "b"), "((a = $1) AND (b = $2))", 18, []),
    ],
)
def test_index_bounds_by_method(
    method: str, keys: tuple[str, ...], condition: str, major: int, bounded: list[str]
) -> None:
    assert _index_bounds(_index(method, *keys), condition, ["a", "b", "f"], major) == bounded


def test_a_condition_goes_to_the_first_column_that_can_take_it() -> None:
    # (b COLLATE "POSIX", x, b) for a comparison in another collation: b searches column 3.
    index = IndexInfo(
        1,
        "i",
        "btree",
        (
            IndexColumn("b", 'b COLLATE "POSIX"', frozenset()),
            IndexColumn("x", "x", frozenset()),
            IndexColumn("b", "b", frozenset({"b"})),
        ),
    )
    assert _index_bounds(index, "(b = $1)", ["b"], 18) == []


def test_pinned_columns_complete_an_index_but_do_not_replace_one() -> None:
    fk = ["partition_id", "x"]
    pinned = frozenset({"partition_id"})
    assert _grade_columns({"x"}, pinned, fk) is Grade.FULL
    assert _grade_columns(set(), pinned, fk) is Grade.NONE
    assert _grade_columns({"partition_id"}, pinned, fk) is Grade.NONE
    assert _grade_columns(set(), frozenset(fk), fk) is Grade.FULL
    assert _grade_columns({"x"}, frozenset(), fk) is Grade.PARTIAL
