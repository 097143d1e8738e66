"""Which columns a CHECK constraint forbids to be NULL, read from the server's own node tree.

`CHECK (col IS NOT NULL)`, added `NOT VALID` and then validated, is how large schemas make a
column NOT NULL without holding an ACCESS EXCLUSIVE lock for a full scan. To see that, fkaudit
reads `pg_constraint.conbin`, the stored expression, as text (`pg_node_tree` output):

    {BOOLEXPR :boolop and :args ({NULLTEST :arg {VAR :varno 1 :varattno 3 ...}
                                  :nulltesttype 1 :argisrow false ...} {OPEXPR ...})}

rather than `pg_get_constraintdef()`. The deparsed SQL would need an SQL parser that knows
quoted identifiers, operator precedence and every syntax PostgreSQL may print; the node tree
names the column by attribute number and its few nodes of interest (BOOLEXPR, NULLTEST, VAR)
print the fields used here identically on PostgreSQL 12 to 18 (only VAR gained unrelated
fields: varnosyn, varnullingrels, varreturningtype). The text is tokenised exactly as the
server's own reader (`read.c`, `pg_strtok`) does: tokens end at whitespace and at `(){}`,
which are tokens of their own, and a backslash escapes the next character, so a string or name
inside an unrelated node can never be mistaken for structure.

A CHECK fails only when its expression is false (NULL passes). The expression is reduced to
its null tests joined by AND, OR and NOT (`Formula`); everything else (`col > 0`, function calls)
becomes "unknown". `rejects_nulls()` evaluates that in three-valued logic with the given columns
NULL and every other value unknown: the CHECK surely rejects such a row exactly when the result
is false. So `a IS NOT NULL`, `a IS NOT NULL AND b > 0` (any nesting of AND) and
`NOT (a IS NULL)` reject NULL in `a`; `a IS NOT NULL OR b IS NOT NULL` rejects neither alone,
but rejects a SET NULL action writing NULL into both; `CHECK (a > 0)` rejects nothing. For a
composite column (`argisrow`) `col IS NOT NULL` means "every field is non-NULL" and `col IS
NULL` "NULL or every field NULL"; with the column itself NULL they are still false and true, so
the evaluation holds for them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

_IS_NULL, _IS_NOT_NULL = "0", "1"  # NullTestType, printed as its integer value

# A token, as the server's `pg_strtok()` splits them: one of `(){}`, or a run of other
# characters up to whitespace (space, newline, tab only) or one of those, where a backslash
# escapes the next character. Text without a backslash is split faster by `str` methods
# (thousands of CHECKs are read per run on large schemas).
_TOKEN = re.compile(r"[(){}]|(?:\\.|[^ \n\t(){}\\])+", re.DOTALL)

# The one shape most such CHECKs have, `col IS [NOT] NULL` alone: a NULLTEST of a VAR whose other
# fields are integers or an empty bitmapset (varnullingrels, 16+), as PostgreSQL 12 to 18 print
# it. Matched whole by one expression, it skips the tokenising and the tree (3 us instead of
# 40 us a CHECK); any other text, however close, goes through `parse`.
_LONE_NULL_TEST = re.compile(
    r"\{NULLTEST :arg \{VAR :varno 1 :varattno ([1-9][0-9]*)(?: :[a-z]+ (?:-?[0-9]+|\(b\)))*"
    r" :varlevelsup 0(?: :[a-z]+ -?[0-9]+)*\} :nulltesttype ([01]) :argisrow (?:true|false)"
    r" :location -?[0-9]+\}"
)


def tokens(text: str) -> list[str]:
    """The tokens of a node tree's text."""
    if "\\" in text:
        return _TOKEN.findall(text)
    for delimiter in "(){}":
        text = text.replace(delimiter, f" {delimiter} ")
    return [token for token in text.replace("\n", " ").replace("\t", " ").split(" ") if token]


class Node(NamedTuple):
    """`{LABEL :field value ...}`: the label and the raw items that follow it."""

    label: str
    items: tuple[object, ...]

    def field(self, name: str) -> object:
        """The item after `:name` (a token, a Node or a list), None when absent."""
        try:
            return self.items[self.items.index(":" + name) + 1]
        except (ValueError, IndexError):
            return None


def parse(text: str) -> object:
    """The tree: Node for `{...}`, list for `(...)`, str for every other token.

    Read with an explicit stack, so no nesting depth can exhaust Python's recursion limit. Each
    open list starts with its opening token as a marker (a token `{` or `(` is never an item).
    """
    stack: list[list[object]] = []
    root: list[object] = []
    items = root
    for token in tokens(text):
        if token == "{" or token == "(":
            stack.append(items)
            items = [token]
        elif token == "}" or token == ")":
            if not stack or items[0] != ("{" if token == "}" else "("):
                raise ValueError(f"unbalanced node tree: {token!r}")
            if token == ")":
                value: object = items[1:]
            elif len(items) > 1 and isinstance(items[1], str):
                value = Node(items[1], tuple(items[2:]))
            else:
                raise ValueError("node without a label")
            items = stack.pop()
            items.append(value)
        else:
            items.append(token)
    if stack:
        raise ValueError("truncated node tree")
    if len(root) != 1:
        raise ValueError("empty node tree" if not root else "trailing text after the node tree")
    return root[0]


@dataclass(frozen=True)
class IsNull:
    """`col IS NULL` on a column of the constrained table, by attribute number."""

    attnum: int


@dataclass(frozen=True)
class Not:
    arg: Formula


@dataclass(frozen=True)
class Junction:
    """AND (`conjunctive`) or OR of its arguments."""

    conjunctive: bool
    args: tuple[Formula, ...]


# None: an expression that is not a null test (unknown: true, false or NULL).
Formula: TypeAlias = "IsNull | Not | Junction | None"


def _column(node: object) -> int | None:
    """The attribute number of a plain column reference of the constrained table."""
    if isinstance(node, Node) and node.label == "VAR" and node.field("varlevelsup") == "0":
        attno = node.field("varattno")
        if isinstance(attno, str) and attno.isdigit() and int(attno) > 0:
            return int(attno)
    return None


def _formula(node: object) -> Formula:
    """The null tests of an expression with the boolean operators joining them."""
    if not isinstance(node, Node):
        return None
    if node.label == "BOOLEXPR":
        op, args = node.field("boolop"), node.field("args")
        if not isinstance(args, list):
            return None
        if op == "not" and len(args) == 1:
            inner = _formula(args[0])
            return None if inner is None else Not(inner)
        if op in ("and", "or"):
            parts = tuple(_formula(arg) for arg in args)
            if all(part is None for part in parts):
                return None
            return Junction(op == "and", parts)
        return None
    if node.label == "NULLTEST":
        return _null_test(node)
    if (
        node.label == "CONST"
        and node.field("consttype") == _BOOL
        and node.field("constisnull") == "false"
    ):
        return Junction(_constant_is_true(node), ())  # true/false: the empty AND/OR
    if node.label == "OPEXPR":
        value = _constant_comparison(node)
        return None if value is None else Junction(value, ())
    return None


# `=` and `<>` of the built-in integer, boolean and oid types (pg_operator OIDs, fixed since
# long before PostgreSQL 12): for these types equal values have equal bytes, so a comparison
# of two constants is decided by their bytes, as the planner folds it (`WHERE 1 = 1`).
_BYTE_EQUALITY = {"94": True, "96": True, "410": True, "91": True, "607": True}
_BYTE_EQUALITY |= {"519": False, "518": False, "411": False, "85": False, "608": False}


def _constant_comparison(node: Node) -> bool | None:
    """The value of `constant = constant` (or `<>`) for those types; None for anything else."""
    equality = _BYTE_EQUALITY.get(str(node.field("opno")))
    args = node.field("args")
    if equality is None or not isinstance(args, list) or len(args) != 2:
        return None
    values = []
    for arg in args:
        if not isinstance(arg, Node) or arg.label != "CONST":
            return None
        if arg.field("constisnull") != "false":
            return None  # NULL = x is NULL: proves nothing
        index = arg.items.index(":constvalue")
        values.append(arg.items[index + 1 :])
    return (values[0] == values[1]) is equality


_BOOL = "16"  # pg_type OID of boolean
_ROW_LABELS = frozenset({"ROW", "ROWEXPR"})  # RowExpr prints as ROW up to PostgreSQL 14


def _constant_is_true(node: Node) -> bool:
    """A boolean CONST's value: its one datum byte follows `:constvalue 1 [`."""
    index = node.items.index(":constvalue")
    return node.items[index + 2 : index + 4] == ("[", "1")


def _null_test(node: Node) -> Formula:
    """`x IS [NOT] NULL` for a column, or for a row of columns (`ROW(a, b) IS NOT NULL`), which
    PostgreSQL reads as "every field is [not] NULL" (and proves from the fields one by one)."""
    test = node.field("nulltesttype")
    if test not in (_IS_NULL, _IS_NOT_NULL):
        return None
    arg = node.field("arg")
    is_row = isinstance(arg, Node) and arg.label in _ROW_LABELS
    fields = arg.field("args") if isinstance(arg, Node) and is_row else [arg]
    if not isinstance(fields, list):
        return None
    attnums = [_column(field) for field in fields]
    tests: list[Formula] = [
        None if n is None else IsNull(n) if test == _IS_NULL else Not(IsNull(n)) for n in attnums
    ]
    if len(tests) == 1:
        return tests[0]
    return Junction(True, tuple(tests)) if any(t is not None for t in tests) else None


def null_formula(conbin: str) -> Formula:
    """The stored expression of a CHECK as a `Formula`.

    Unreadable text gives None (proves nothing): a future change of the format can only make
    fkaudit as cautious as it was before it read CHECKs.
    """
    lone = _LONE_NULL_TEST.fullmatch(conbin)
    if lone:
        column = IsNull(int(lone.group(1)))
        return column if lone.group(2) == _IS_NULL else Not(column)
    try:
        return _formula(parse(conbin))
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None


def evaluate(
    formula: Formula, null_attnums: frozenset[int], non_null_attnums: frozenset[int] = frozenset()
) -> bool | None:
    """Kleene three-valued value with these columns NULL, those non-NULL, and all else unknown
    (None)."""
    if formula is None:
        return None
    if isinstance(formula, IsNull):
        if formula.attnum in null_attnums:
            return True
        return False if formula.attnum in non_null_attnums else None
    if isinstance(formula, Not):
        value = evaluate(formula.arg, null_attnums, non_null_attnums)
        return None if value is None else not value
    values = [evaluate(arg, null_attnums, non_null_attnums) for arg in formula.args]
    decisive = not formula.conjunctive  # AND is decided by a false, OR by a true
    if decisive in values:
        return decisive
    return None if None in values else not decisive


def rejects_nulls(formula: Formula, null_attnums: Iterable[int]) -> bool:
    """Does a CHECK with this expression reject every row where these columns are NULL?"""
    return evaluate(formula, frozenset(null_attnums)) is False


def implied_by_non_null(formula: Formula, attnums: Iterable[int]) -> bool:
    """Is an expression with these null tests surely true once the columns are non-NULL?

    What the planner proves of a partial index's predicate from the RI lookup's strict
    equalities (`$1 = col`): `col IS NOT NULL`, `NOT (col IS NULL)`, `ROW(a, b) IS NOT NULL`, an
    OR with one such arm, AND of them, and the constant `true`; nothing about other columns or
    other conditions (`col > 0`), which depend on the key's value.
    """
    return evaluate(formula, frozenset(), frozenset(attnums)) is True


def holds_one_list_value(bound: str) -> bool:
    """Is a partition's bound (`relpartbound` as text) a LIST of exactly one non-NULL value?

    Such a partition holds its key column at that value: an RI lookup routed to it finds every
    row equal on that column."""
    try:
        spec = parse(bound)
    except (ValueError, RecursionError):
        return False
    if not isinstance(spec, Node) or spec.label != "PARTITIONBOUNDSPEC":
        return False
    values = spec.field("listdatums")
    return (
        spec.field("strategy") == "l"
        and spec.field("is_default") == "false"
        and isinstance(values, list)
        and len(values) == 1
        and isinstance(values[0], Node)
        and values[0].field("constisnull") == "false"
    )


def columns_of(formula: Formula) -> frozenset[int]:
    """The columns the formula tests."""
    if formula is None:
        return frozenset()
    if isinstance(formula, IsNull):
        return frozenset((formula.attnum,))
    if isinstance(formula, Not):
        return columns_of(formula.arg)
    return frozenset().union(*(columns_of(arg) for arg in formula.args))


def not_null_attnums(formula: Formula) -> frozenset[int]:
    """The columns a CHECK with this expression keeps from being NULL, each on its own."""
    return frozenset(n for n in columns_of(formula) if rejects_nulls(formula, (n,)))


_CAST_FORMATS = frozenset({"1", "2"})  # CoercionForm: COERCE_EXPLICIT_CAST, COERCE_IMPLICIT_CAST


def column_casts(indexprs: str) -> list[tuple[int, int] | None]:
    """For each expression of an index (`pg_index.indexprs` as text), in order: (column, type)
    when it is a cast of one column to a type through a cast function (`((f)::numeric)`, the
    very expression the RI lookup compares a mismatched column as), else None."""
    try:
        expressions = parse(indexprs)
    except (ValueError, RecursionError):
        return []
    if not isinstance(expressions, list):
        return []
    casts: list[tuple[int, int] | None] = []
    for expression in expressions:
        cast = None
        if (
            isinstance(expression, Node)
            and expression.label == "FUNCEXPR"
            and expression.field("funcformat") in _CAST_FORMATS
        ):
            args, result = expression.field("args"), expression.field("funcresulttype")
            if isinstance(args, list) and len(args) == 1 and isinstance(result, str):
                column = _column(args[0])
                if column is not None and result.isdigit():
                    cast = (column, int(result))
        casts.append(cast)
    return casts
