"""Reading CHECK node trees, without a server: the tree, the formula and its three-valued logic.

tests/test_null_checks.py compares fkaudit's reading of trees the server stored with the rows
the server rejects. These check the reader on hand-written trees in the server's format
(PostgreSQL 18's, as `conbin::text` prints it), including shapes a CHECK cannot store but a
future format or a damaged text could present: those must prove nothing.
"""

from __future__ import annotations

import pytest

from fkaudit.catalog import nodetree
from fkaudit.catalog.nodetree import (
    IsNull,
    Junction,
    Node,
    Not,
    columns_of,
    evaluate,
    not_null_attnums,
    null_formula,
    parse,
    rejects_nulls,
)


def var(attnum: int, *, levelsup: int = 0) -> str:
    return (
        f"{{VAR :varno 1 :varattno {attnum} :vartype 23 :vartypmod -1 :varcollid 0 "
        f":varnullingrels (b) :varlevelsup {levelsup} :varreturningtype 0 :varnosyn 1 "
        f":varattnosyn {attnum} :location -1}}"
    )


def null_test(arg: str, *, is_null: bool) -> str:
    return (
        f"{{NULLTEST :arg {arg} :nulltesttype {0 if is_null else 1} :argisrow false :location -1}}"
    )


def boolexpr(op: str, *args: str) -> str:
    return f"{{BOOLEXPR :boolop {op} :args ({' '.join(args)}) :location -1}}"


GREATER_THAN_ZERO = (  # n > 0: not a null test, unknown to the reader
    "{OPEXPR :opno 521 :opfuncid 147 :opresulttype 16 :opretset false :opcollid 0 "
    f":inputcollid 0 :args ({var(3)} {{CONST :consttype 23 :consttypmod -1 :constcollid 0 "
    ":constlen 4 :constbyval true :constisnull false :location -1 "
    ":constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location -1}"
)


def test_parse_builds_nodes_lists_and_tokens() -> None:
    tree = parse("{A :x 1 :list (2 {B :y z}) :empty <> :bits (b 3)}")
    assert isinstance(tree, Node) and tree.label == "A"
    assert tree.field("x") == "1"
    assert tree.field("list") == ["2", Node("B", (":y", "z"))]
    assert tree.field("empty") == "<>"
    assert tree.field("bits") == ["b", "3"]
    assert tree.field("missing") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{A :x (1}", "unbalanced"),
        ("{A :x 1))", "unbalanced"),
        ("{A :x 1", "truncated"),
        ("{}", "node without a label"),
        ("{(1) :x}", "node without a label"),
        ("", "empty"),
        ("{A} {B}", "trailing text"),
    ],
)
def test_parse_refuses_malformed_text(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse(text)


def test_parse_reads_deep_nesting_without_recursion() -> None:
    depth = 50_000
    tree = parse("{A :x " * depth + "1" + "}" * depth)
    for _ in range(depth - 1):
        assert isinstance(tree, Node)
        tree = tree.field("x")
    assert tree == Node("A", (":x", "1"))


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        (null_test(var(2), is_null=False), Not(IsNull(2))),
        (null_test(var(2), is_null=True), IsNull(2)),
        (
            boolexpr("and", null_test(var(1), is_null=False), GREATER_THAN_ZERO),
            Junction(True, (Not(IsNull(1)), None)),
        ),
        (
            boolexpr("not", boolexpr("or", null_test(var(1), is_null=True), GREATER_THAN_ZERO)),
            Not(Junction(False, (IsNull(1), None))),
        ),
        (GREATER_THAN_ZERO, None),
        (boolexpr("and", GREATER_THAN_ZERO, GREATER_THAN_ZERO), None),  # nothing to read
        (boolexpr("not", GREATER_THAN_ZERO), None),
        (null_test(var(2, levelsup=1), is_null=False), None),  # an outer query's column
        (null_test(var(-1), is_null=False), None),  # a system column
        (null_test(var(0), is_null=False), None),  # a whole-row reference
        (null_test(GREATER_THAN_ZERO, is_null=False), None),  # (n > 0) IS NOT NULL
        (null_test(var(2), is_null=False).replace(":nulltesttype 1", ":nulltesttype 7"), None),
        (boolexpr("xor", null_test(var(1), is_null=True)), None),  # an operator it does not know
        ("{BOOLEXPR :boolop and :args <> :location -1}", None),
    ],
)
def test_null_formula_reads_only_null_tests_of_the_tables_columns(
    text: str, formula: nodetree.Formula
) -> None:
    assert null_formula(text) == formula


def test_the_fast_path_takes_only_the_tables_own_columns() -> None:
    """A lone null test skips the tree; one on an outer query's column must not."""
    own = null_test(var(12), is_null=False)
    assert nodetree._LONE_NULL_TEST.fullmatch(own) and null_formula(own) == Not(IsNull(12))
    outer = null_test(var(12, levelsup=1), is_null=False)
    assert not nodetree._LONE_NULL_TEST.fullmatch(outer) and null_formula(outer) is None


A, B = IsNull(1), IsNull(2)


@pytest.mark.parametrize(
    ("formula", "nulls", "value"),
    [
        (A, {1}, True),
        (A, {2}, None),  # a column not NULL may hold anything: unknown
        (Not(A), {1}, False),
        (Junction(True, (Not(A), None)), {1}, False),  # false AND unknown: false
        (Junction(True, (Not(A), Not(B))), {2}, False),
        (Junction(False, (Not(A), None)), {1}, None),  # false OR unknown: unknown
        (Junction(False, (Not(A), Not(B))), {1}, None),
        (Junction(False, (Not(A), Not(B))), {1, 2}, False),
        (Junction(False, (A, None)), {1}, True),  # true OR unknown: true
        (Not(Junction(False, (A, B))), {2}, False),
        (None, {1, 2}, None),
    ],
)
def test_evaluate_is_kleene_logic(
    formula: nodetree.Formula, nulls: set[int], value: bool | None
) -> None:
    assert evaluate(formula, frozenset(nulls)) is value
    assert rejects_nulls(formula, nulls) is (value is False)


def test_not_null_columns_are_those_rejected_alone() -> None:
    both_or_neither = Junction(False, (Not(A), Not(B)))  # a IS NOT NULL OR b IS NOT NULL
    assert columns_of(both_or_neither) == {1, 2}
    assert not_null_attnums(both_or_neither) == frozenset()
    each = Junction(True, (Not(A), Junction(True, (Not(B), None))))
    assert not_null_attnums(each) == {1, 2}
    assert not_null_attnums(Not(Not(Not(A)))) == {1}
    assert not_null_attnums(None) == frozenset() and columns_of(None) == frozenset()
