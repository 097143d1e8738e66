"""Ground truth for FK101/FK102: the plan PostgreSQL's RI trigger really runs on the child.

When a parent row is deleted, the RI trigger of each foreign key runs one statement on the
referencing (child) table, built by ri_triggers.c: `SELECT 1 FROM [ONLY] "s"."c" x WHERE $1
OPERATOR(pg_catalog.=) "f" … FOR KEY SHARE OF x` for NO ACTION/RESTRICT, a `DELETE` for
CASCADE, an `UPDATE … SET` for SET NULL/DEFAULT. It is an SPI plan, so generic plans apply.
FK101/FK102 say whether that statement can find its rows through an index, so the truth is
read off the statement's generic plan with sequential scans disabled ("can any index serve it"):

- `trigger_verdict` (primary): in a transaction that is always rolled back, load auto_explain,
  insert a new parent row per probe key and a child row referencing it, delete the parent row,
  and grade the plans of the child-side statements the trigger ran (auto_explain logs their
  text and JSON plan as notices). The caller chooses the keys: one that routes to each leaf of
  a partitioned child.
- `explain_verdict` (secondary, for schemas without rows such as tests/cases/*.sql): rebuild
  the statement text offline exactly as ri_triggers.c writes it (`ForeignKey.statement`),
  PREPARE it with the parent key columns' types and `EXPLAIN EXECUTE` it with non-NULL keys
  (NULL keys would let run-time pruning remove every partition). The differential test
  (tests/test_ri_differential.py) checks that the rebuilt text equals the text the trigger ran
  and that both modes agree, which is what makes this mode trustworthy.

Grading, per scan of the child (per leaf partition that survives run-time pruning):

- Seq Scan: NONE — unless a LIST partition of one value pins every FK column (every row read
  matches, there is nothing to search);
- an index scan or bitmap index scan grades by the index: for btree, the FK columns that bound
  the scan are those of the longest leading run of index key columns with an equality
  condition. 12-17 give each condition to the first index column it matches, so a repeated
  column ends the run (`(a, a, b)` bounds only a); 18's skip scan steps over a column that
  repeats one already bound. hash and SP-GiST have one column; GIN, GiST and any other method
  count every key column with a condition. BRIN and bloom count as NOT indexed whatever the
  plan shows: they read the whole index on every lookup. A BitmapAnd counts as its best input.
  Index Cond does not say which index column a condition searches: it goes, as the planner
  gives it, to the first column of that attribute in the comparison's collation (derived by
  the server from the statement's operands) whose operator family holds the operator;
- a LIST partition whose bound is one value pins that column for the leaf: an index bounding
  the other FK columns is FULL there (the filter on the pinned column removes nothing), one
  bounding only pinned columns reads the whole leaf like a Seq Scan;
- FULL when every FK column is bound, PARTIAL when some are, NONE when none. A key's verdict
  is its worst leaf.

The planner picks among usable indexes by cost, and on small tables costs tie: it may pick a
single-column index beside a full one, or bloom beside a btree. So each round drops the weakest
index a leaf used while it is not yet FULL (inside the rolled-back transaction) and plans
again; a leaf's grade is the best over the rounds, the answer to "can the lookup use an index".
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from fkaudit.connection import without_prepared_statements

#: Settings the trigger's statements are planned under (SET LOCAL, after LOAD 'auto_explain').
PLAN_SETTINGS = (
    "SET LOCAL plan_cache_mode = force_generic_plan",
    "SET LOCAL enable_seqscan = off",
    "SET LOCAL enable_bitmapscan = on",
)
_AUTO_EXPLAIN = (
    "LOAD 'auto_explain'",
    "SET LOCAL auto_explain.log_min_duration = 0",
    "SET LOCAL auto_explain.log_nested_statements = on",
    "SET LOCAL auto_explain.log_level = notice",
    "SET LOCAL auto_explain.log_format = json",
    "SET LOCAL client_min_messages = notice",
)
#: Methods that read the whole index on every lookup: never an index lookup.
WHOLE_INDEX_METHODS = frozenset({"brin", "bloom"})
_SINGLE_COLUMN_METHODS = frozenset({"hash", "spgist"})
_SCAN_NODES = frozenset({"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"})
_MAX_ROUNDS = 24
_MAX_ROUTING_PROBES = 400
#: Values tried for key columns the partitioning does not decide (the first that casts wins).
_GENERIC_VALUES = ("1", "0", "-1", "a", "2000-01-01", "t", "1.5")


class Grade(enum.IntEnum):
    """What the lookup gets from the child's indexes (FK101 = NONE, FK102 = PARTIAL)."""

    NONE = 0
    PARTIAL = 1
    FULL = 2


class RiStatementError(Exception):
    """PostgreSQL cannot run the RI statement: every parent delete fails the same way (e.g.
    42P22, no collation for the comparison)."""

    def __init__(self, sqlstate: str, message: str, statement: str = "") -> None:
        super().__init__(f"{sqlstate} {message}" + (f" (in {statement})" if statement else ""))
        self.sqlstate = sqlstate
        self.message = message
        self.statement = statement  # the nested statement that failed, when one did


class OracleError(Exception):
    """The oracle could not judge: a plan it does not understand, a leaf no probe reached."""


# -- the foreign key and its RI statement ----------------------------------------------------


def _quote(name: str) -> str:
    """quoteOneName() of ri_triggers.c: always double-quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class KeyColumn:
    """One FK column pair as the RI statement compares it."""

    child: str  # the referencing column's name
    parent: str
    param_type: str  # the parent column's type, domains kept: the type of $n
    comparison: str  # `$n[::cast] OPERATOR(ns.=) "child"[::cast]` (ri_GenerateQual)
    collate: str  # ` COLLATE "ns"."coll"` that 12-17 append, or ""
    child_type: str  # the child column's type and collation, to mimic it in a subquery
    child_collation: str  # `"ns"."coll"`, or "" when the type has none
    commutator: int  # the operator an index on the child column must support (`f = $n`)
    collation: int | None = None  # the comparison's: None when not collatable, -1 if none

    def operands(self) -> tuple[str, str]:
        """The two sides of the comparison, `$n…` and `"f"…` (with the COLLATE, if any)."""
        left, right = self.comparison.split(" OPERATOR(", 1)
        return left, right.split(") ", 1)[1] + self.collate


@dataclass(frozen=True)
class ForeignKey:
    """What the RI statement of a parent delete is built from."""

    oid: int
    name: str
    major: int
    child_oid: int
    child: str  # "schema"."table", as quoteRelationName writes it
    child_partitioned: bool
    parent_oid: int
    parent: str
    columns: tuple[KeyColumn, ...]
    on_delete: str  # confdeltype: a(no action) r c n d
    set_columns: tuple[str, ...]  # ON DELETE SET NULL/DEFAULT (cols), PostgreSQL 15+

    @property
    def param_types(self) -> tuple[str, ...]:
        return tuple(c.param_type for c in self.columns)

    @property
    def child_columns(self) -> tuple[str, ...]:
        return tuple(c.child for c in self.columns)

    def comparison_check(self) -> str:
        """The statement's WHERE clause applied to one made-up child row holding the key: the
        comparisons it runs, which fail (42P22) when PostgreSQL cannot choose a collation."""
        row = ", ".join(
            f"CAST(${n} AS {c.child_type})"
            + (f" COLLATE {c.child_collation}" if c.child_collation else "")
            + f" AS {_quote(c.child)}"
            for n, c in enumerate(self.columns, start=1)
        )
        collate = not (self.major <= 14 and self.on_delete in ("n", "d"))
        return f"SELECT 1 FROM (SELECT {row}) x{self._where(collate)}"

    def _where(self, collate: bool) -> str:
        return "".join(
            f" {'WHERE' if i == 0 else 'AND'} {c.comparison}{c.collate if collate else ''}"
            for i, c in enumerate(self.columns)
        )

    @property
    def _only(self) -> str:
        return "" if self.child_partitioned else "ONLY "

    def restrict_statement(self) -> str:
        """The NO ACTION/RESTRICT lookup (SET DEFAULT runs it too, after its update)."""
        return f"SELECT 1 FROM {self._only}{self.child} x{self._where(True)} FOR KEY SHARE OF x"

    def statement(self) -> str:
        """The child-side statement a parent delete runs, byte for byte as the trigger does."""
        if self.on_delete in ("a", "r"):
            return self.restrict_statement()
        if self.on_delete == "c":
            return f"DELETE FROM {self._only}{self.child}{self._where(True)}"
        value = "NULL" if self.on_delete == "n" else "DEFAULT"
        if self.major <= 14:
            # ri_setnull/ri_setdefault append the COLLATE to the SET list, not to the WHERE.
            items = [f" {_quote(c.child)} = {value}{c.collate}" for c in self.columns]
            return f"UPDATE {self._only}{self.child} SET{','.join(items)}{self._where(False)}"
        targets = self.set_columns or self.child_columns
        items = [f" {_quote(name)} = {value}" for name in targets]
        return f"UPDATE {self._only}{self.child} SET{','.join(items)}{self._where(True)}"

    def statements(self) -> tuple[str, ...]:
        """Every child-side statement a parent delete runs."""
        if self.on_delete == "d":
            return (self.statement(), self.restrict_statement())
        return (self.statement(),)


_FK_QUERY = """
SELECT con.conname, con.conrelid, con.confrelid, con.confdeltype::text,
       cn.nspname, cc.relname, cc.relkind::text, pn.nspname, pc.relname
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class cc ON cc.oid = con.conrelid
JOIN pg_catalog.pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_catalog.pg_class pc ON pc.oid = con.confrelid
JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE con.oid = %s AND con.contype = 'f'
"""

_FK_COLUMNS_QUERY = """
SELECT ca.attname, pa.attname, pg_catalog.format_type(pa.atttypid, NULL),
       pa.atttypid = op.oprleft, ca.atttypid = op.oprright,
       pg_catalog.quote_ident(ln.nspname) || '.' || pg_catalog.quote_ident(lt.typname),
       pg_catalog.quote_ident(rn.nspname) || '.' || pg_catalog.quote_ident(rt.typname),
       pg_catalog.quote_ident(opn.nspname), op.oprname,
       pa.attcollation <> ca.attcollation AND NOT coalesce(coll.collisdeterministic, true),
       colln.nspname, coll.collname,
       pg_catalog.format_type(ca.atttypid, ca.atttypmod),
       pg_catalog.quote_ident(ccn.nspname) || '.' || pg_catalog.quote_ident(cc.collname),
       op.oprcom
FROM pg_catalog.pg_constraint con,
     unnest(con.conkey, con.confkey, con.conpfeqop) WITH ORDINALITY AS k(fk, pk, op, n)
JOIN pg_catalog.pg_attribute ca ON ca.attrelid = %(child)s AND ca.attnum = k.fk
JOIN pg_catalog.pg_attribute pa ON pa.attrelid = %(parent)s AND pa.attnum = k.pk
JOIN pg_catalog.pg_operator op ON op.oid = k.op
JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
JOIN pg_catalog.pg_type lt ON lt.oid = op.oprleft
JOIN pg_catalog.pg_namespace ln ON ln.oid = lt.typnamespace
JOIN pg_catalog.pg_type rt ON rt.oid = op.oprright
JOIN pg_catalog.pg_namespace rn ON rn.oid = rt.typnamespace
LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = pa.attcollation
LEFT JOIN pg_catalog.pg_namespace colln ON colln.oid = coll.collnamespace
LEFT JOIN pg_catalog.pg_collation cc ON cc.oid = ca.attcollation
LEFT JOIN pg_catalog.pg_namespace ccn ON ccn.oid = cc.collnamespace
WHERE con.oid = %(oid)s
ORDER BY k.n
"""


#: The comparison's collation when PostgreSQL cannot choose one (two implicit ones conflict).
INDETERMINATE = -1

_COLLATION_BY_NAME = """
SELECT c.oid FROM pg_catalog.pg_collation c
JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
WHERE c.collencoding IN (-1, pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding()))
  AND CASE WHEN pg_catalog.pg_collation_is_visible(c.oid) THEN pg_catalog.quote_ident(c.collname)
      ELSE pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname) END
      = ({}) COLLATE pg_catalog."C"
"""


def _comparison_collation(
    conn: psycopg.Connection[Any], column: KeyColumn, with_collate: bool
) -> int | None:
    """The collation the statement's comparison runs in, derived by the server from the very
    operands (a COALESCE of them merges collations as the operator does)."""
    left, right = column.operands()
    if not with_collate and column.collate:
        right = right[: -len(column.collate)]
    left = left.replace(left.split("::", 1)[0], f"CAST(NULL AS {column.param_type})", 1)
    collate = f" COLLATE {column.child_collation}" if column.child_collation else ""
    expression = (
        f"SELECT pg_catalog.pg_collation_for(COALESCE({left}, x.{right}))"
        f" FROM (SELECT CAST(NULL AS {column.child_type}){collate} AS {_quote(column.child)}) x"
    )
    try:
        with conn.transaction():
            row = conn.execute(sql.SQL(_COLLATION_BY_NAME).format(sql.SQL(expression))).fetchone()
            named = conn.execute(sql.SQL(expression)).fetchone()
    except psycopg.errors.DatatypeMismatch:
        return None  # "collations are not supported by type …"
    if named is None or named[0] is None:
        return INDETERMINATE
    if row is None:
        raise OracleError(f"no collation named {named[0]}")
    return int(row[0])


def foreign_key(conn: psycopg.Connection[Any], oid: int) -> ForeignKey:
    """Read the constraint `oid` and everything its RI statement is built from."""
    major = conn.info.server_version // 10000
    row = conn.execute(_FK_QUERY, (oid,)).fetchone()
    if row is None:
        raise OracleError(f"no foreign key with oid {oid}")
    name, child_oid, parent_oid, on_delete, cschema, cname, ckind, pschema, pname = row
    columns = []
    for n, col in enumerate(
        conn.execute(
            _FK_COLUMNS_QUERY, {"oid": oid, "child": child_oid, "parent": parent_oid}
        ).fetchall(),
        start=1,
    ):
        child, parent, ptype, left_ok, right_ok, left, right, opns, opname = col[:9]
        explicit_collation, coll_ns, coll_name, child_type, child_collation, commutator = col[9:]
        # generate_operator_clause(): an operand whose type is not the operator's input type
        # gets `::ns.type`.
        comparison = (
            f"${n}{'' if left_ok else '::' + left} OPERATOR({opns}.{opname}) "
            f"{_quote(child)}{'' if right_ok else '::' + right}"
        )
        collate = ""
        if major < 18 and explicit_collation:
            collate = f" COLLATE {_quote(coll_ns)}.{_quote(coll_name)}"
        column = KeyColumn(
            child, parent, ptype, comparison, collate, child_type, child_collation or "", commutator
        )
        in_where = not (major <= 14 and on_delete in ("n", "d"))
        columns.append(
            dataclasses.replace(column, collation=_comparison_collation(conn, column, in_where))
        )
    set_columns: tuple[str, ...] = ()
    if major >= 15:
        names = conn.execute(
            "SELECT a.attname FROM pg_catalog.pg_constraint con"
            " CROSS JOIN LATERAL unnest(con.confdelsetcols) WITH ORDINALITY k(attnum, n)"
            " JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum"
            " WHERE con.oid = %s ORDER BY k.n",
            (oid,),
        ).fetchall()
        set_columns = tuple(r[0] for r in names)
    return ForeignKey(
        oid=oid,
        name=name,
        major=major,
        child_oid=child_oid,
        child=f"{_quote(cschema)}.{_quote(cname)}",
        child_partitioned=ckind == "p",
        parent_oid=parent_oid,
        parent=f"{_quote(pschema)}.{_quote(pname)}",
        columns=tuple(columns),
        on_delete=on_delete,
        set_columns=set_columns,
    )


# -- the child: its leaves, their indexes, the columns a LIST partition pins ----------------


@dataclass(frozen=True)
class IndexColumn:
    attname: str | None  # None for an expression
    definition: str  # pg_get_indexdef(index, n, false)
    accepts: frozenset[str] = frozenset()  # FK columns whose comparison it can search

    @property
    def key(self) -> str:
        return self.attname if self.attname is not None else "(" + self.definition + ")"


@dataclass(frozen=True)
class IndexInfo:
    oid: int
    name: str
    method: str
    columns: tuple[IndexColumn, ...]  # key columns only (INCLUDE columns are never searched)
    shared: bool = False  # a partition of a partitioned index


@dataclass(frozen=True)
class Leaf:
    oid: int
    name: str
    pinned: frozenset[str]  # FK columns a LIST partition of one value fixes for this leaf
    indexes: dict[str, IndexInfo] = field(compare=False, hash=False)


@dataclass(frozen=True)
class _Level:
    """A partitioned table of the tree: how it splits its rows."""

    strategy: str  # l, r, h
    columns: tuple[str | None, ...]  # partition key columns; None for an expression


@dataclass
class ChildTree:
    """The child table, or the leaves of a partitioned child with their partition bounds."""

    leaves: dict[int, Leaf]
    by_name: dict[str, int]
    levels: dict[int, _Level]  # partitioned relation oid -> its partitioning
    bounds: dict[int, tuple[int, str]]  # member oid -> (its parent's oid, its bound text)

    def leaf_named(self, name: str) -> Leaf:
        if name not in self.by_name:
            raise OracleError(f"plan scans {name!r}, which is not a leaf of the child")
        return self.leaves[self.by_name[name]]


_INDEXES_QUERY = """
SELECT c.relname, am.amname, i.indexrelid, a.attname::text,
       pg_catalog.pg_get_indexdef(i.indexrelid, k.n::int, false),
       i.indcollation[(k.n - 1)::int], opc.opcfamily,
       coalesce(pg_catalog.pg_partition_root(i.indexrelid), i.indexrelid) <> i.indexrelid
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = c.relam
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, n)
LEFT JOIN pg_catalog.pg_attribute a
  ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0
LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[(k.n - 1)::int]
WHERE i.indrelid = %s AND k.n <= i.indnkeyatts
ORDER BY i.indexrelid, k.n
"""


def _indexes(conn: psycopg.Connection[Any], table_oid: int, fk: ForeignKey) -> dict[str, IndexInfo]:
    """The table's indexes; for each key column, the FK comparisons the planner can give it:
    same column, the comparison's collation, an operator family with the (commuted) operator."""
    members = set(
        conn.execute(
            "SELECT amopfamily, amopopr FROM pg_catalog.pg_amop WHERE amopopr = ANY(%s::oid[])",
            ([c.commutator for c in fk.columns],),
        ).fetchall()
    )
    rows: dict[str, list[IndexColumn]] = {}
    heads: dict[str, tuple[int, str, bool]] = {}
    for name, method, oid, attname, definition, collation, family, shared in conn.execute(
        _INDEXES_QUERY, (table_oid,)
    ):
        accepts = frozenset(
            c.child
            for c in fk.columns
            if attname == c.child
            and (family, c.commutator) in members
            and (not collation or c.collation is None or collation == c.collation)
        )
        rows.setdefault(name, []).append(IndexColumn(attname, definition, accepts))
        heads[name] = (oid, method, shared)
    return {
        name: IndexInfo(heads[name][0], name, heads[name][1], tuple(columns), heads[name][2])
        for name, columns in rows.items()
    }


def _bound_groups(bound: str) -> list[list[str | None]]:
    """The parenthesised value lists of a partition bound (`FOR VALUES IN ('a', 1)`, `FROM (1)
    TO (MAXVALUE)`): string constants unquoted, NULL/MINVALUE/MAXVALUE as None."""
    groups: list[list[str | None]] = []
    depth, quote, item = 0, False, ""
    current: list[str | None] = []
    quoted = False
    i = 0
    while i < len(bound):
        ch = bound[i]
        if quote:
            if ch == "'" and bound[i + 1 : i + 2] == "'":
                item += "'"
                i += 1
            elif ch == "'":
                quote = False
            else:
                item += ch
        elif ch == "'":
            quote, quoted, item = True, True, ""  # drop the blank before the constant
        elif ch == "(":
            depth += 1
            if depth == 1:
                current, item, quoted = [], "", False
        elif ch in ",)" and depth == 1:
            token = item.strip()
            keyword = not quoted and token.upper() in ("NULL", "MINVALUE", "MAXVALUE")
            current.append(None if keyword else token if not quoted else item)
            item, quoted = "", False
            if ch == ")":
                depth -= 1
                groups.append(current)
        elif ch == ")":
            depth -= 1
        elif depth >= 1:
            item += ch
        i += 1
    return groups


def child_tree(conn: psycopg.Connection[Any], fk: ForeignKey) -> ChildTree:
    """The leaves the lookup can scan, their indexes, and the partition bounds above them."""
    if not fk.child_partitioned:
        name = conn.execute(
            "SELECT relname FROM pg_catalog.pg_class WHERE oid = %s", (fk.child_oid,)
        ).fetchone()
        assert name is not None
        leaf = Leaf(fk.child_oid, name[0], frozenset(), _indexes(conn, fk.child_oid, fk))
        return ChildTree({leaf.oid: leaf}, {leaf.name: leaf.oid}, {}, {})
    rows = conn.execute(
        "SELECT t.relid::oid, c.relname, t.parentrelid::oid, t.isleaf,"
        " pg_catalog.pg_get_expr(c.relpartbound, c.oid), p.partstrat::text,"
        " array(SELECT a.attname::text"
        "       FROM unnest(p.partattrs::int2[]) WITH ORDINALITY k(attnum, n)"
        "       LEFT JOIN pg_catalog.pg_attribute a"
        "         ON a.attrelid = t.relid AND a.attnum = k.attnum AND k.attnum <> 0"
        "       ORDER BY k.n)"
        " FROM pg_catalog.pg_partition_tree(%s) t"
        " JOIN pg_catalog.pg_class c ON c.oid = t.relid"
        " LEFT JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = t.relid",
        (fk.child_oid,),
    ).fetchall()
    levels: dict[int, _Level] = {}
    bounds: dict[int, tuple[int, str]] = {}
    leaf_rows = []
    for oid, name, parent, is_leaf, bound, strategy, attnames in rows:
        if strategy is not None:
            levels[oid] = _Level(strategy, tuple(attnames))
        if parent is not None:
            bounds[oid] = (parent, bound or "")
        if is_leaf:
            leaf_rows.append((oid, name))
    leaves: dict[int, Leaf] = {}
    by_name: dict[str, int] = {}
    for oid, name in leaf_rows:
        if name in by_name:
            raise OracleError(f"two leaves named {name!r}: plans name relations without schema")
        leaves[oid] = Leaf(oid, name, _pinned(oid, levels, bounds), _indexes(conn, oid, fk))
        by_name[name] = oid
    return ChildTree(leaves, by_name, levels, bounds)


def _pinned(
    oid: int, levels: dict[int, _Level], bounds: dict[int, tuple[int, str]]
) -> frozenset[str]:
    """Columns that a LIST partition of a single value, on the way from the root, fixes."""
    pinned = set()
    while oid in bounds:
        parent, bound = bounds[oid]
        level = levels[parent]
        if level.strategy == "l" and len(level.columns) == 1 and level.columns[0] is not None:
            groups = _bound_groups(bound) if bound.startswith("FOR VALUES IN") else []
            if len(groups) == 1 and len(groups[0]) == 1 and groups[0][0] is not None:
                pinned.add(level.columns[0])
        oid = parent
    return frozenset(pinned)


# -- reading an Index Cond ---------------------------------------------------------------------


def _top_level(text: str) -> Iterator[tuple[int, int]]:
    """(position, parenthesis depth) of each character outside quoted names and strings."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
            continue
        if ch in "\"'":
            quote = ch
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            yield i, depth
            continue
        yield i, depth


def _strip_parens(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        closes = [i for i, depth in _top_level(text) if depth == 0 and text[i] == ")"]
        if closes and closes[0] == len(text) - 1:
            text = text[1:-1].strip()
        else:
            break
    return text


def _split_top(text: str, separator: str) -> list[str]:
    """Split at `separator` where it stands outside parentheses and quotes."""
    parts, start = [], 0
    depth_at = dict(_top_level(text))
    i = 0
    while i < len(text):
        if depth_at.get(i) == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _undecorated(text: str) -> str:
    """An operand without its outer parentheses, trailing casts and COLLATE clauses."""
    while True:
        before = text
        text = _strip_parens(text)
        collate = _split_top(text, " COLLATE ")
        if len(collate) > 1:
            text = " COLLATE ".join(collate[:-1])
        cast = _split_top(text, "::")
        if len(cast) > 1:
            text = "::".join(cast[:-1])
        if text == before:
            return text


_PARAM = re.compile(r"\$\d+")
_NAME = re.compile(r'(?:(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)')


def _column_name(text: str) -> str | None:
    """The column an operand names, through relabels (`(f)::text`), COLLATE and a qualifier."""
    match = _NAME.fullmatch(_undecorated(text))
    if match is None:
        return None
    name = match.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


@dataclass(frozen=True)
class Equality:
    """One `operand = $n` of an Index Cond: the operand as printed, and the column it names."""

    operand: str
    column: str | None


def equalities(condition: str) -> list[Equality]:
    """The column-against-parameter equalities of an Index Cond, in every printed form:
    `(f = $1)`, `($1 = f)`, `(f = ($1)::text)`, `((f)::text = $1)`, quoted names, COLLATE."""
    text = condition.replace("OPERATOR(pg_catalog.=)", "=")
    found = []
    for conjunct in _split_top(_strip_parens(text), " AND "):
        sides = _split_top(_strip_parens(conjunct), " = ")
        if len(sides) != 2:
            continue
        left, right = sides
        for operand, other in ((left, right), (right, left)):
            if _PARAM.fullmatch(_undecorated(other)) and not _PARAM.fullmatch(
                _undecorated(operand)
            ):
                found.append(Equality(_strip_parens(operand), _column_name(operand)))
                break
    return found


# -- grading one scan --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafGrade:
    """How one scan of one table (a leaf) serves the lookup."""

    table: str
    grade: Grade
    node: str  # "Index Scan using c_f_idx", "Seq Scan", …
    index: IndexInfo | None = None
    bounded: tuple[str, ...] = ()  # FK columns the scan is bounded on (pinned ones included)
    condition: str = ""

    def describe(self) -> str:
        cond = f" [{self.condition}]" if self.condition else ""
        bound = f" bounds {', '.join(self.bounded)}" if self.bounded else ""
        return f"{self.table}: {self.grade.name} by {self.node}{cond}{bound}"


def _index_bounds(
    index: IndexInfo, condition: str, fk_columns: Sequence[str], major: int
) -> list[str]:
    """The FK columns this index scan is bounded on, by the method's rules (module docstring)."""
    if index.method in WHOLE_INDEX_METHODS:
        return []
    assigned: dict[int, str] = {}  # index column position -> FK column of its condition
    for equality in equalities(condition):
        fk_column = equality.column
        if fk_column is None or fk_column not in fk_columns:
            continue
        positions = [
            n
            for n, column in enumerate(index.columns)
            if n not in assigned
            and (
                column.attname == fk_column
                if column.attname is not None
                else _strip_parens(column.definition) == equality.operand
            )
        ]
        # The planner gives a condition to the first column that can take it: the same column
        # in the comparison's collation, with the operator in its family.
        usable = [n for n in positions if fk_column in index.columns[n].accepts]
        if usable or positions:
            assigned[(usable or positions)[0]] = fk_column
    if index.method == "btree":
        bounded: list[str] = []
        keys_bound: set[str] = set()
        for position, column in enumerate(index.columns):
            if position in assigned:
                bounded.append(assigned[position])
                keys_bound.add(column.key)
            elif major >= 18 and column.key in keys_bound:
                continue  # skip scan over a repeat of a bound column
            else:
                break
        return bounded
    if index.method in _SINGLE_COLUMN_METHODS:
        return [assigned[0]] if 0 in assigned else []
    return list(assigned.values())


def _grade_columns(bounded: set[str], pinned: frozenset[str], fk_columns: Sequence[str]) -> Grade:
    """An index bounding only pinned columns reads the whole leaf, as a Seq Scan does."""
    if not bounded - pinned:
        return Grade.FULL if pinned >= set(fk_columns) else Grade.NONE
    covered = bounded | pinned
    return Grade.FULL if covered >= set(fk_columns) else Grade.PARTIAL


def _grade_bitmap(
    node: dict[str, Any], leaf: Leaf, fk_columns: Sequence[str], major: int
) -> LeafGrade:
    kind = node.get("Node Type")
    if kind == "Bitmap Index Scan":
        return _grade_index(node, leaf, fk_columns, major, "Bitmap Index Scan")
    if kind in ("BitmapAnd", "BitmapOr"):
        parts = [_grade_bitmap(p, leaf, fk_columns, major) for p in node.get("Plans", [])]
        if not parts:
            raise OracleError(f"{kind} without inputs")
        pick = max if kind == "BitmapAnd" else min
        return pick(parts, key=lambda g: g.grade)
    raise OracleError(f"unexpected bitmap node {kind!r}")


def _grade_index(
    node: dict[str, Any], leaf: Leaf, fk_columns: Sequence[str], major: int, label: str
) -> LeafGrade:
    name = node.get("Index Name", "")
    index = leaf.indexes.get(name)
    if index is None:
        raise OracleError(f"plan uses index {name!r}, not found on {leaf.name}")
    condition = node.get("Index Cond", "")
    bounded = set(_index_bounds(index, condition, fk_columns, major))
    grade = _grade_columns(bounded, leaf.pinned, fk_columns)
    if index.method in WHOLE_INDEX_METHODS:
        grade = Grade.NONE
    useful = bool(bounded - leaf.pinned)
    columns = tuple(c for c in fk_columns if c in bounded or (useful and c in leaf.pinned))
    return LeafGrade(
        leaf.name, grade, f"{label} using {name} ({index.method})", index, columns, condition
    )


def _grade_scan(
    node: dict[str, Any], leaf: Leaf, fk_columns: Sequence[str], major: int
) -> LeafGrade:
    kind = node["Node Type"]
    if kind == "Seq Scan":
        grade = _grade_columns(set(), leaf.pinned, fk_columns)
        pinned = tuple(c for c in fk_columns if grade is Grade.FULL)
        return LeafGrade(leaf.name, grade, "Seq Scan", None, pinned, node.get("Filter", ""))
    if kind in ("Index Scan", "Index Only Scan"):
        return _grade_index(node, leaf, fk_columns, major, kind)
    inputs = node.get("Plans", [])
    if len(inputs) != 1:
        raise OracleError(f"Bitmap Heap Scan with {len(inputs)} inputs")
    return _grade_bitmap(inputs[0], leaf, fk_columns, major)


def _relation_scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind = plan.get("Node Type", "")
    if kind in _SCAN_NODES:
        yield plan
        return  # a Bitmap Heap Scan's inputs are graded with it
    if "Relation Name" in plan and kind != "ModifyTable":
        raise OracleError(f"unexpected scan node {kind!r} on {plan['Relation Name']}")
    for child in plan.get("Plans", []):
        yield from _relation_scans(child)


def grade_plan(plan: dict[str, Any], tree: ChildTree, fk: ForeignKey) -> dict[int, LeafGrade]:
    """The grade of each leaf the plan scans (the worst, if it scans one twice)."""
    grades: dict[int, LeafGrade] = {}
    for node in _relation_scans(plan):
        leaf = tree.leaf_named(node["Relation Name"])
        grade = _grade_scan(node, leaf, fk.child_columns, fk.major)
        if leaf.oid not in grades or grade.grade < grades[leaf.oid].grade:
            grades[leaf.oid] = grade
    return grades


# -- the verdict -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The truth for one foreign key: the worst leaf's grade, each leaf's best grade, and the
    statements whose plans were graded."""

    grade: Grade
    leaves: tuple[LeafGrade, ...]
    statements: tuple[str, ...]
    unprobed: tuple[str, ...] = ()  # leaves no key routed to, graded with pruning off

    def describe(self) -> str:
        lines = [f"{self.grade.name}"]
        lines += [f"  {leaf.describe()}" for leaf in self.leaves]
        if self.unprobed:
            lines.append(f"  (no key routed to {', '.join(self.unprobed)}; graded unpruned)")
        lines += [f"  statement: {text}" for text in self.statements]
        return "\n".join(lines)


def _verdict(
    best: dict[int, LeafGrade], tree: ChildTree, statements: Sequence[str], unprobed: Sequence[str]
) -> Verdict:
    leaves = tuple(best[oid] for oid in tree.leaves if oid in best)
    if not leaves:
        # Nothing to scan (a partitioned child without partitions): every lookup is free.
        return Verdict(Grade.FULL, (), tuple(statements), tuple(unprobed))
    worst = min(leaf.grade for leaf in leaves)
    return Verdict(worst, leaves, tuple(dict.fromkeys(statements)), tuple(unprobed))


def _drop_index(conn: psycopg.Connection[Any], index: IndexInfo) -> bool:
    """Drop the index (its partitioned root, or the constraint it backs) for the next round."""
    root = conn.execute(
        "SELECT coalesce(pg_catalog.pg_partition_root(%s), %s)::oid", (index.oid, index.oid)
    ).fetchone()
    assert root is not None
    target = root[0]
    name = _regclass(conn, target)
    if name is None:
        return True  # gone with the partitioned index it belonged to
    try:
        with conn.transaction():
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
        return True
    except psycopg.Error:
        pass
    owner = conn.execute(
        "SELECT conrelid, conname FROM pg_catalog.pg_constraint"
        " WHERE conindid = %s AND contype IN ('p', 'u', 'x') AND conrelid <> 0",
        (target,),
    ).fetchone()
    if owner is None:
        return False
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.SQL(_regclass(conn, owner[0]) or "?"), sql.Identifier(owner[1])
                )
            )
        return True
    except psycopg.Error:
        return False  # another foreign key needs it, or a partition inherited it


def _regclass(conn: psycopg.Connection[Any], oid: int) -> str | None:
    """The relation's name as SQL writes it (qualified when not visible); None once dropped."""
    row = conn.execute(
        "SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid = %s", (oid,)
    ).fetchone()
    return None if row is None else str(row[0])


def _best_over_indexes(
    conn: psycopg.Connection[Any],
    tree: ChildTree,
    one_round: Callable[[], tuple[dict[int, LeafGrade], list[str]]],
) -> tuple[dict[int, LeafGrade], list[str]]:
    """Run rounds, each after dropping the weakest index a leaf not yet FULL used; keep each
    leaf's best grade. The weakest go first, and a leaf's own index before one it shares with
    other leaves through a partitioned index: dropping that one takes it from every leaf."""
    best: dict[int, LeafGrade] = {}
    statements: list[str] = []
    tried: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        grades, texts = one_round()
        statements += texts
        for oid, grade in grades.items():
            if oid not in best or grade.grade > best[oid].grade:
                best[oid] = grade
        used: dict[int, tuple[Grade, IndexInfo]] = {}
        for oid, g in grades.items():
            if g.index is None or best[oid].grade is Grade.FULL or g.index.oid in tried:
                continue
            weakest = min(g.grade, used.get(g.index.oid, (g.grade, g.index))[0])
            used[g.index.oid] = (weakest, g.index)
        dropped = False
        while used and not dropped:
            lowest = min(grade for grade, _ in used.values())
            group = [index for grade, index in used.values() if grade == lowest]
            targets = [index for index in group if not index.shared] or group[:1]
            for index in targets:
                tried.add(index.oid)
                del used[index.oid]
                dropped = _drop_index(conn, index) or dropped
        if not dropped:
            break
    return best, statements


# -- primary mode: the trigger itself ---------------------------------------------------------


def _plan_notice(message: str) -> dict[str, Any] | None:
    if "plan:" not in message or "{" not in message:
        return None
    try:
        doc: dict[str, Any] = json.loads(message[message.index("{") :])
    except json.JSONDecodeError:
        return None
    return doc


def _is_child_statement(text: str, fk: ForeignKey) -> bool:
    only = "" if fk.child_partitioned else "ONLY "
    return text.startswith(
        (
            f"SELECT 1 FROM {only}{fk.child} x WHERE $",
            f"DELETE FROM {only}{fk.child} WHERE $",
            f"UPDATE {only}{fk.child} SET ",
        )
    )


@contextlib.contextmanager
def _notices(conn: psycopg.Connection[Any]) -> Iterator[list[str]]:
    messages: list[str] = []

    def collect(diagnostic: psycopg.errors.Diagnostic) -> None:
        messages.append(diagnostic.message_primary or "")

    conn.add_notice_handler(collect)
    try:
        yield messages
    finally:
        conn.remove_notice_handler(collect)


def _sql_error(exc: psycopg.Error) -> RiStatementError:
    context = re.search(r'SQL statement "(.*)"', exc.diag.context or "")
    return RiStatementError(
        exc.sqlstate or "",
        exc.diag.message_primary or str(exc),
        context.group(1) if context else "",
    )


@dataclass(frozen=True)
class Probe:
    """One parent row to delete: its key (the referenced columns' values as text, in key
    order) and the values of the referencing row's other columns that need one (a self
    reference's own key, a partition column)."""

    key: tuple[str, ...]
    child: tuple[tuple[str, str], ...] = ()


def trigger_verdict(conn: psycopg.Connection[Any], oid: int, probes: Sequence[Probe]) -> Verdict:
    """The verdict from the trigger's own plans. For each probe, in a rolled-back savepoint:
    insert a parent row with its key and a child row referencing it (RI triggers off, so that
    a collation the insert's own check cannot resolve does not stop it), then delete the
    parent row with auto_explain loaded. The lookup finds the child row, so every comparison
    runs: NO ACTION/RESTRICT then fail (23503, expected), the other actions change the row.

    The keys must be new to the parent and, for a partitioned child, reach every leaf between
    them; the parent's and child's other columns must accept NULL or their defaults.
    """
    fk = foreign_key(conn, oid)
    with without_prepared_statements(conn), conn.transaction(force_rollback=True):
        tree = child_tree(conn, fk)

        def insert(table: str, columns: Sequence[str], values: Sequence[str]) -> tuple[Any, ...]:
            row = conn.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING tableoid, ctid::text").format(
                    sql.SQL(table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(map(sql.Literal, values)),
                )
            ).fetchone()
            assert row is not None
            return tuple(row)

        def probe(probe: Probe) -> tuple[dict[int, LeafGrade], list[str]]:
            grades: dict[int, LeafGrade] = {}
            texts: list[str] = []
            with conn.transaction(force_rollback=True), _notices(conn) as notices:
                conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                parent = insert(fk.parent, [c.parent for c in fk.columns], probe.key)
                conn.execute("SET LOCAL session_replication_role = replica")
                insert(
                    fk.child,
                    [*fk.child_columns, *(name for name, _ in probe.child)],
                    [*probe.key, *(value for _, value in probe.child)],
                )
                conn.execute("SET LOCAL session_replication_role = origin")
                for statement in (*_AUTO_EXPLAIN, *PLAN_SETTINGS):
                    conn.execute(statement)
                notices.clear()
                found_row = False
                try:
                    conn.execute(
                        sql.SQL("DELETE FROM {} WHERE ctid = {}::tid AND tableoid = {}").format(
                            sql.SQL(fk.parent), sql.Literal(parent[1]), sql.Literal(parent[0])
                        )
                    )
                except (psycopg.errors.ForeignKeyViolation, psycopg.errors.RestrictViolation):
                    found_row = True
                except psycopg.Error as exc:
                    raise _sql_error(exc) from exc
                for message in notices:
                    doc = _plan_notice(message)
                    if doc is None or not _is_child_statement(doc.get("Query Text", ""), fk):
                        continue
                    texts.append(doc["Query Text"])
                    for leaf, grade in grade_plan(doc["Plan"], tree, fk).items():
                        if leaf not in grades or grade.grade < grades[leaf].grade:
                            grades[leaf] = grade
            if not texts:
                raise OracleError(f"deleting a parent row of {fk.name} ran no child statement")
            if found_row != (fk.on_delete in ("a", "r")):
                raise OracleError(f"the lookup of {fk.name} did not behave as its action says")
            return grades, texts

        def one_round() -> tuple[dict[int, LeafGrade], list[str]]:
            grades: dict[int, LeafGrade] = {}
            texts: list[str] = []
            for each in probes:
                found, statements = probe(each)
                texts += statements
                for leaf, grade in found.items():
                    if leaf not in grades or grade.grade < grades[leaf].grade:
                        grades[leaf] = grade
            missing = sorted(leaf.name for oid, leaf in tree.leaves.items() if oid not in grades)
            if missing:
                raise OracleError(f"no probe key reached {', '.join(missing)}")
            return grades, texts

        best, statements = _best_over_indexes(conn, tree, one_round)
        return _verdict(best, tree, statements, ())


# -- secondary mode: EXPLAIN of the rebuilt statement ----------------------------------------


class _Prepared:
    """The rebuilt statements, PREPAREd with the parent key types; EXPLAIN EXECUTE them.

    psycopg sends DEALLOCATE ALL after a DROP or ROLLBACK when it has prepared statements of
    its own, so the statements are re-prepared whenever they are found missing.
    """

    def __init__(self, conn: psycopg.Connection[Any], fk: ForeignKey) -> None:
        self.conn, self.fk = conn, fk
        self.names = [f"fkaudit_ri_oracle_{n}" for n in range(len(fk.statements()))]

    def ensure(self) -> None:
        present = {
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM pg_catalog.pg_prepared_statements WHERE name = ANY(%s)",
                (self.names,),
            )
        }
        types = sql.SQL(", ").join(sql.SQL(t) for t in self.fk.param_types)
        for name, text in zip(self.names, self.fk.statements(), strict=True):
            if name in present:
                continue
            try:
                with self.conn.transaction():
                    self.conn.execute(
                        sql.SQL("PREPARE {} ({}) AS {}").format(
                            sql.Identifier(name), types, sql.SQL(text)
                        )
                    )
            except psycopg.Error as exc:
                raise _sql_error(exc) from exc

    def deallocate(self) -> None:
        for name in self.names:
            with contextlib.suppress(psycopg.Error), self.conn.transaction():
                self.conn.execute(sql.SQL("DEALLOCATE {}").format(sql.Identifier(name)))

    def plans(self, key: Sequence[str | None]) -> list[dict[str, Any]]:
        self.ensure()
        values = sql.SQL(", ").join(map(sql.Literal, key))
        out = []
        for name in self.names:
            row = self.conn.execute(
                sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {} ({})").format(
                    sql.Identifier(name), values
                )
            ).fetchone()
            assert row is not None
            out.append(row[0][0]["Plan"])
        return out


def _castable(conn: psycopg.Connection[Any], value: str, type_name: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("SELECT CAST({} AS {})").format(sql.Literal(value), sql.SQL(type_name))
            )
        return True
    except psycopg.Error:
        return False


def _candidates(
    conn: psycopg.Connection[Any], fk: ForeignKey, tree: ChildTree
) -> list[list[str | None]]:
    """Per FK column, values worth trying as its key: the partition bounds' constants for a
    partition key column (hash partitions get a run of small values), else one value."""
    from_bounds: dict[str, list[str]] = {c: [] for c in fk.child_columns}
    hashed: set[str] = set()
    for parent, bound in tree.bounds.values():
        level = tree.levels[parent]
        if level.strategy == "h":
            hashed.update(c for c in level.columns if c is not None)
            continue
        for group in _bound_groups(bound):
            for column, value in zip(level.columns, group, strict=False):
                if column in from_bounds and value is not None:
                    from_bounds[column].append(value)
    out = []
    for column, type_name in zip(fk.child_columns, fk.param_types, strict=True):
        values = list(dict.fromkeys(from_bounds[column]))
        if column in hashed:
            values += [str(n) for n in range(64)] + [f"k{n}" for n in range(64)]
        partitioned_on = bool(values)
        values += _GENERIC_VALUES
        valid: list[str | None] = [
            v for v in dict.fromkeys(values) if _castable(conn, v, type_name)
        ]
        # No value at hand (an enum, a composite): NULL plans the same and can only make
        # run-time pruning drop leaves, which then are graded unpruned.
        out.append((valid if partitioned_on else valid[:1]) or [None])
    return out


def _check_comparisons(
    conn: psycopg.Connection[Any], fk: ForeignKey, key: Sequence[str | None]
) -> None:
    """Raise what the trigger raises once its comparison meets a row: EXPLAIN plans a
    comparison whose collation PostgreSQL cannot determine, the first row it reaches fails."""
    types = sql.SQL(", ").join(sql.SQL(t) for t in fk.param_types)
    name = sql.Identifier("fkaudit_ri_oracle_check")
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("PREPARE {} ({}) AS {}").format(name, types, sql.SQL(fk.comparison_check()))
            )
    except psycopg.Error:
        return  # no cast from the parent's type to the child's: the row cannot be made up
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("EXECUTE {} ({})").format(name, sql.SQL(", ").join(map(sql.Literal, key)))
            )
    except psycopg.Error as exc:
        if exc.sqlstate == "42P22":
            raise _sql_error(exc) from exc
    finally:
        with contextlib.suppress(psycopg.Error), conn.transaction():
            conn.execute(sql.SQL("DEALLOCATE {}").format(name))


def explain_verdict(conn: psycopg.Connection[Any], oid: int) -> Verdict:
    """The verdict from EXPLAIN of the rebuilt RI statements, in a rolled-back transaction."""
    fk = foreign_key(conn, oid)
    with without_prepared_statements(conn), conn.transaction(force_rollback=True):
        tree = child_tree(conn, fk)
        for statement in PLAN_SETTINGS:
            conn.execute(statement)
        prepared = _Prepared(conn, fk)
        try:
            prepared.ensure()
            return _explained(conn, fk, tree, prepared)
        finally:
            prepared.deallocate()


def _explained(
    conn: psycopg.Connection[Any], fk: ForeignKey, tree: ChildTree, prepared: _Prepared
) -> Verdict:
    candidates = _candidates(conn, fk, tree)
    # One key per leaf: the first candidate key whose plan keeps the leaf after pruning.
    keys: list[Sequence[str | None]] = []
    reached: set[int] = set()
    for key in itertools.islice(itertools.product(*candidates), _MAX_ROUTING_PROBES):
        found: set[int] = set()
        for plan in prepared.plans(key):
            found |= set(grade_plan(plan, tree, fk))
        if found - reached:
            keys.append(key)
            reached |= found
        if reached >= set(tree.leaves):
            break
    unprobed = [leaf.name for oid, leaf in tree.leaves.items() if oid not in reached]
    some_key = keys[0] if keys else [values[0] for values in candidates]
    _check_comparisons(conn, fk, some_key)

    def one_round() -> tuple[dict[int, LeafGrade], list[str]]:
        grades: dict[int, LeafGrade] = {}
        for key in keys:
            for plan in prepared.plans(key):
                for leaf, grade in grade_plan(plan, tree, fk).items():
                    if leaf not in grades or grade.grade < grades[leaf].grade:
                        grades[leaf] = grade
        if unprobed:
            # Leaves no candidate key reaches: planned without pruning, every leaf is planned
            # as it would be for a key of its own.
            prepared.deallocate()
            with conn.transaction(force_rollback=True):
                conn.execute("SET LOCAL enable_partition_pruning = off")
                for plan in prepared.plans(some_key):
                    for leaf, grade in grade_plan(plan, tree, fk).items():
                        if tree.leaves[leaf].name in unprobed:
                            grades.setdefault(leaf, grade)
                prepared.deallocate()
        return grades, list(fk.statements())

    best, statements = _best_over_indexes(conn, tree, one_round)
    return _verdict(best, tree, statements, unprobed)
