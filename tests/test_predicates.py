"""Partial-index predicates and partition bounds read from their node trees (no server needed).

The texts are `pg_index.indpred::text` and `pg_class.relpartbound::text` as PostgreSQL 16 printed
them; the case files (tests/cases/ri_verdicts.sql) check the same forms on every major.
"""

from __future__ import annotations

import pytest

from fkaudit.catalog.nodetree import (
    column_casts,
    holds_one_list_value,
    implied_by_non_null,
    null_formula,
)

_VAR2 = (
    "{VAR :varno 1 :varattno 2 :vartype 23 :vartypmod -1 :varcollid 0 :varnullingrels (b) "
    ":varlevelsup 0 :varnosyn 1 :varattnosyn 2 :location 36}"
)
_VAR3 = (
    "{VAR :varno 1 :varattno 3 :vartype 25 :vartypmod -1 :varcollid 100 :varnullingrels (b) "
    ":varlevelsup 0 :varnosyn 1 :varattnosyn 3 :location 36}"
)


def _null_test(arg: str, test: int, row: bool = False) -> str:
    return f"{{NULLTEST :arg {arg} :nulltesttype {test} :argisrow {str(row).lower()} :location 9}}"


def _row(*fields: str, label: str = "ROWEXPR") -> str:
    """A row constructor as 15+ print it (`ROW` up to 14)."""
    return f"{{{label} :args ({' '.join(fields)}) :row_typeid 2249 :row_format 2 :location 3}}"


def _bool(value: bool) -> str:
    byte = 1 if value else 0
    return (
        "{CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true "
        f":constisnull false :location 49 :constvalue 1 [ {byte} 0 0 0 0 0 0 0 ]}}"
    )


def _int_comparison(opno: int, left: int, right: int) -> str:
    def const(value: int) -> str:
        return (
            "{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
            f":constisnull false :location 52 :constvalue 4 [ {value} 0 0 0 0 0 0 0 ]}}"
        )

    return f"{{OPEXPR :opno {opno} :opresulttype 16 :args ({const(left)} {const(right)})}}"


def _bool_expr(op: str, *args: str) -> str:
    return f"{{BOOLEXPR :boolop {op} :args ({' '.join(args)}) :location 46}}"


@pytest.mark.parametrize(
    ("predicate", "fk_attnums", "implied"),
    [
        (_null_test(_VAR2, 1), [2], True),  # f IS NOT NULL
        (_bool_expr("not", _null_test(_VAR2, 0)), [2], True),  # NOT (f IS NULL)
        (_null_test(_row(_VAR2), 1, row=True), [2], True),  # ROW(f) IS NOT NULL
        (_null_test(_row(_VAR2, label="ROW"), 1, row=True), [2], True),  # as 12-14 print it
        (_null_test(_row(_VAR2, _VAR3), 1, row=True), [2, 3], True),  # (f, g) IS NOT NULL
        (_null_test(_row(_VAR2, _VAR3), 1, row=True), [2], False),  # g is not an FK column
        (_bool_expr("or", _null_test(_VAR2, 1), _bool(False)), [2], True),  # f IS NOT NULL OR false
        (_bool_expr("or", _null_test(_VAR2, 1), "{OPEXPR :opno 521}"), [2], True),  # OR x > 0
        (_bool_expr("and", _null_test(_VAR2, 1), "{OPEXPR :opno 521}"), [2], False),  # AND x > 0
        (_bool_expr("or", _null_test(_VAR2, 1), _null_test(_VAR2, 0)), [2], True),
        (_null_test(_VAR3, 1), [2], False),  # another column
        (_null_test(_VAR2, 0), [2], False),  # f IS NULL: never, with f = $1
        ("{OPEXPR :opno 521 :args (" + _VAR2 + " {CONST :consttype 23})}", [2], False),  # f > 0
        (_bool(True), [2], True),
        (_bool(False), [2], False),
        (_int_comparison(96, 1, 1), [2], True),  # 1 = 1
        (_int_comparison(96, 1, 2), [2], False),  # 1 = 2
        (_int_comparison(518, 1, 2), [2], True),  # 1 <> 2
        (_int_comparison(521, 2, 1), [2], False),  # 2 > 1: not folded, proves nothing
        (_bool_expr("or", _int_comparison(96, 1, 2), _null_test(_VAR2, 1)), [2], True),
    ],
)
def test_what_the_lookup_proves(predicate: str, fk_attnums: list[int], implied: bool) -> None:
    assert implied_by_non_null(null_formula(predicate), fk_attnums) is implied


def _bound(listdatums: str, default: bool = False, strategy: str = "l") -> str:
    return (
        f"{{PARTITIONBOUNDSPEC :strategy {strategy} :is_default {str(default).lower()} "
        f":modulus 0 :remainder 0 :listdatums {listdatums} :lowerdatums <> :upperdatums <> "
        ":location 42}"
    )


def _datum(isnull: bool = False) -> str:
    value = "<>" if isnull else "4 [ 1 0 0 0 0 0 0 0 ]"
    return (
        "{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
        f":constisnull {str(isnull).lower()} :location 46 :constvalue {value}}}"
    )


@pytest.mark.parametrize(
    ("bound", "one_value"),
    [
        (_bound(f"({_datum()})"), True),
        (_bound(f"({_datum()} {_datum()})"), False),  # IN (2, 3)
        (_bound(f"({_datum(isnull=True)})"), False),  # IN (NULL)
        (_bound("<>", default=True), False),  # DEFAULT
        (_bound("<>", strategy="h"), False),
        ("not a node tree {", False),
    ],
)
def test_a_list_partition_of_one_value(bound: str, one_value: bool) -> None:
    assert holds_one_list_value(bound) is one_value


_CAST = (
    "{FUNCEXPR :funcid 1740 :funcresulttype 1700 :funcretset false :funcvariadic false "
    ":funcformat 1 :funccollid 0 :inputcollid 0 :args (" + _VAR2 + ") :location 67}"
)
_CALL = _CAST.replace(":funcformat 1", ":funcformat 0")  # numeric(f) as a call: not read
_PLUS = "{OPEXPR :opno 551 :opresulttype 23 :args (" + _VAR2 + " {CONST :consttype 23})}"


def test_index_expressions_that_are_casts_of_a_column() -> None:
    assert column_casts(f"({_CAST} {_PLUS} {_CALL})") == [(2, 1700), None, None]
    assert column_casts("not a node tree (") == []
