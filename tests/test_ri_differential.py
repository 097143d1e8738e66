"""FK101/FK102 against the RI trigger itself, on random parent/child pairs (issue 12 §6).

A seeded generator builds one parent/child pair per seed: key types (int, bigint, numeric,
text, varchar, domains, a domain with COLLATE "C"), column collations ("C", "POSIX", ICU
`und-x-icu`, an ICU nondeterministic collation where the server has ICU), composite keys,
self references, ON DELETE actions, NOT VALID and deferrable keys, partitioned children (LIST of
one or two values, HASH, RANGE, DEFAULT partitions, partitioning by a non-key column, a second
level) and child indexes of every kind (btree with reordered, repeated, DESC, COLLATE, opclass,
INCLUDE and expression columns, unique, hash, GiST, GIN, SP-GiST, BRIN, bloom), some partial
with the predicates the planner does and does not prove from `f = $1`.

Each pair is built in a transaction that is always rolled back. Then, for its foreign key:

- fkaudit's verdict: FK101 = NONE, FK102 = PARTIAL, neither = FULL;
- the truth: tests/ri_oracle.py `trigger_verdict`, the plans of the statements the trigger ran
  when a referenced parent row was deleted, with one key routed to each leaf;
- tests/ri_oracle.py `explain_verdict` must give the same verdict, and the statement text it
  rebuilds must equal the text the trigger ran: that is what lets tests/test_rule_cases.py use
  it on the SQL cases, which hold no rows.

Known PostgreSQL refusals are not disagreements: 18 refuses a key whose two columns have
different collations when one is nondeterministic (42P21); a comparison with no collation
(42P22) fails every parent delete, and 12-14 fail a SET DEFAULT with COLLATE (42601) — then both
oracle modes must fail the same way.

A small fixed set of seeds runs in the normal suite. A long run: `pytest -m fuzz` (seeds from
FKAUDIT_FUZZ_START, default 1000, FKAUDIT_FUZZ_SEEDS of them, default 2000) or
`python -m tests.test_ri_differential --seeds N [--start S]`. A disagreement prints the seed and
the statements that build the pair, ready to paste into tests/cases/*.sql.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql

import fkaudit
from fkaudit.catalog.scope import Scope
from tests.ri_oracle import (
    Grade,
    OracleError,
    Probe,
    RiStatementError,
    Verdict,
    explain_verdict,
    foreign_key,
    trigger_verdict,
)

SCHEMA = "ri_diff"
#: The normal suite's seeds: enough to build every kind of pair (test_quick_seeds_cover_…).
QUICK_SEEDS = tuple(range(1, 61))
#: Errors of PostgreSQL's own RI statement: both oracle modes must hit them, fkaudit is not judged.
KNOWN_RI_ERRORS = {
    "42P22": "no collation for the comparison: every parent delete fails",
    "42601": "12-14: SET DEFAULT with a nondeterministic parent collation fails every delete",
}

# -- the generator -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    """What the server offers the generator."""

    major: int
    icu: bool  # ICU collations (`und-x-icu`, CREATE COLLATION … provider = icu)
    bloom: bool


@dataclass(frozen=True)
class ColumnType:
    ddl: str
    family: str  # "int" (integers fit) or "text"
    collation: str | None = None  # a domain's COLLATE
    setup: tuple[str, ...] = ()  # CREATE DOMAIN / COLLATION it needs
    partition_key: bool = False  # usable as a partition key here

    @property
    def text(self) -> bool:
        return self.family == "text"


_ND = "CREATE COLLATION nd (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
INT = ColumnType("int", "int", partition_key=True)
BIGINT = ColumnType("bigint", "int", partition_key=True)
NUMERIC = ColumnType("numeric", "int")
DINT = ColumnType("dint", "int", setup=("CREATE DOMAIN dint AS int",))
TEXT = ColumnType("text", "text", partition_key=True)
VARCHAR = ColumnType("varchar(20)", "text", partition_key=True)
DTEXT = ColumnType("dtext", "text", setup=("CREATE DOMAIN dtext AS text",))
DTEXT_C = ColumnType("dtext_c", "text", '"C"', ('CREATE DOMAIN dtext_c AS text COLLATE "C"',))
DTEXT_ND = ColumnType("dtext_nd", "text", "nd", (_ND, "CREATE DOMAIN dtext_nd AS text COLLATE nd"))


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    collate: str | None = None  # the column's own COLLATE clause

    @property
    def collation(self) -> str:
        """The column's collation as pg_attribute records it ("default" when none applies)."""
        return self.collate or self.type.collation or "default"

    def ddl(self) -> str:
        collate = f" COLLATE {self.collate}" if self.collate else ""
        return f"{q(self.name)} {self.type.ddl}{collate}"


def q(name: str) -> str:
    """A name as DDL writes it: quoted unless it is a plain lower-case identifier."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


@dataclass
class Partitioning:
    """How the child is partitioned and which key values reach which leaf."""

    position: int | None  # FK position of the partition column; None: a non-key column
    probes: list[str]  # a key value per partition (the FK column at `position`)
    others: list[str | None]  # another value of the same LIST partition
    hash_modulus: int = 0  # HASH: the values are found on the server
    tops: list[str] = field(default_factory=list)  # the partitions of c, in `probes` order
    sub: str | None = None  # a partition of c itself partitioned by LIST (x)

    @property
    def leaves(self) -> list[str]:
        out = []
        for top in self.tops:
            out += [f"{top}_x0", f"{top}_xd"] if top == self.sub else [top]
        return out


@dataclass
class GeneratedCase:
    seed: int
    features: set[str]
    setup: list[str]  # domains, collations, extensions, tables, partitions, the foreign key
    indexes: list[str]  # each may fail (an opclass refusing a collation…): then it is left out
    fk_name: str
    parent: str
    child: str
    parent_columns: list[Column]  # in FK order
    child_columns: list[Column]  # in FK order
    self_reference: bool
    partitioning: Partitioning | None
    nd_mismatch: bool  # one side nondeterministic and the collations differ: 18 refuses it


_FK_COLUMN_NAMES = ("f", "a", "b", "ref_id", "Ref Id", 'we"ird', "x_id")
_KEY_COLUMN_NAMES = ("k", "k2", "Key Three")


def _column_type(rng: random.Random, caps: Capabilities, parent: ColumnType | None) -> ColumnType:
    if parent is None:
        family = rng.choice(["int", "text"])
        if family == "int":
            return rng.choices([INT, BIGINT, DINT, NUMERIC], [4, 2, 2, 1])[0]
        texts = [TEXT, VARCHAR, DTEXT, DTEXT_C] + ([DTEXT_ND] if caps.icu else [])
        return rng.choices(texts, [4, 2, 1, 2, 1][: len(texts)])[0]
    if parent.family == "int":
        if parent is NUMERIC:
            return rng.choice([NUMERIC, INT])
        return rng.choices([INT, BIGINT, DINT], [4, 2, 1])[0]
    texts = [TEXT, VARCHAR, DTEXT, DTEXT_C] + ([DTEXT_ND] if caps.icu else [])
    return rng.choices(texts, [5, 2, 1, 2, 1][: len(texts)])[0]


def _collate(rng: random.Random, caps: Capabilities, ctype: ColumnType) -> str | None:
    if not ctype.text or rng.random() < 0.7:
        return None
    choices = ['"C"', '"POSIX"'] + (['"und-x-icu"', "nd"] if caps.icu else [])
    return rng.choice(choices)


def _value(column: Column, n: int) -> str:
    return str(n) if column.type.family == "int" else f"v{n}"


def generate(seed: int, caps: Capabilities) -> GeneratedCase:
    """The parent/child pair of `seed` (deterministic for a seed and capabilities)."""
    rng = random.Random(seed)
    features: set[str] = set()
    width = rng.choices([1, 2, 3], [5, 3, 1])[0]
    features.add(f"width {width}")
    self_reference = rng.random() < 0.12
    parent_columns: list[Column] = []
    child_columns: list[Column] = []
    fk_names = rng.sample(_FK_COLUMN_NAMES, width)
    for i in range(width):
        ptype = _column_type(rng, caps, None)
        ctype = _column_type(rng, caps, ptype)
        parent_columns.append(Column(_KEY_COLUMN_NAMES[i], ptype, _collate(rng, caps, ptype)))
        child_columns.append(Column(fk_names[i], ctype, _collate(rng, caps, ctype)))
    for column in (*parent_columns, *child_columns):
        features.add(f"type {column.type.ddl}")
        if column.collate:
            features.add(f"collate {column.collate}")
    nd_mismatch = any(
        p.collation != c.collation and "nd" in (p.collation, c.collation)
        for p, c in zip(parent_columns, child_columns, strict=True)
    )
    setup: list[str] = []
    for column in (*parent_columns, *child_columns):
        for statement in column.type.setup:
            if statement not in setup:
                setup.append(statement)
        if column.collate == "nd" and _ND not in setup:
            setup.insert(0, _ND)

    partitioning: Partitioning | None = None
    if not self_reference and rng.random() < 0.35:
        partitioning = _partitioning(rng, caps, child_columns, features)
    on_delete = rng.choices(
        [
            "",
            "ON DELETE RESTRICT",
            "ON DELETE CASCADE",
            "ON DELETE SET NULL",
            "ON DELETE SET DEFAULT",
        ],
        [6, 1, 2, 2, 1],
    )[0]
    set_columns = list(range(width))
    if on_delete == "ON DELETE SET NULL" and width > 1 and caps.major >= 15 and rng.random() < 0.4:
        set_columns = [rng.randrange(width)]
        on_delete += f" ({q(child_columns[set_columns[0]].name)})"
        features.add("SET NULL (columns)")
    if (
        on_delete.startswith("ON DELETE SET")
        and partitioning
        and partitioning.position in set_columns
    ):
        # The update would move the row out of every partition: each delete fails (23514).
        on_delete = "ON DELETE CASCADE"
    fk_name = rng.choice(["c_fk", "c fk", "c_fk", 'c"fk'])
    deferred = rng.random() < 0.08
    match_full = rng.random() < 0.08
    if "(" in on_delete and match_full:
        on_delete = "ON DELETE SET NULL"  # MATCH FULL refuses the half-NULL key it would leave
    features.add(on_delete or "NO ACTION")
    key_order = list(range(width))
    rng.shuffle(key_order)
    fk_clause = (
        f"CONSTRAINT {q(fk_name)} FOREIGN KEY ({', '.join(q(c.name) for c in child_columns)})"
        " REFERENCES {parent} ("
        + ", ".join(q(c.name) for c in parent_columns)
        + ")"
        + (" MATCH FULL" if match_full else "")
        + (f" {on_delete}" if on_delete else "")
        + (" DEFERRABLE INITIALLY DEFERRED" if deferred else "")
    )
    if deferred:
        features.add("deferred")
    extras = [Column("x", INT), Column("y", TEXT)]
    not_valid = rng.random() < 0.15
    key_ddl = "PRIMARY KEY" if rng.random() < 0.8 else "UNIQUE"
    key_list = ", ".join(q(parent_columns[i].name) for i in key_order)

    if self_reference:
        features.add("self reference")
        parent = child = "t"
        columns = [c.ddl() for c in parent_columns] + [c.ddl() for c in child_columns]
        columns += [c.ddl() for c in extras]
        fk = fk_clause.format(parent="t")
        setup.append(
            f"CREATE TABLE t ({', '.join(columns)}, {key_ddl} ({key_list})"
            + ("" if not_valid else f", {fk}")
            + ")"
        )
        if not_valid:
            setup.append(f"ALTER TABLE t ADD {fk} NOT VALID")
    else:
        parent, child = "p", "c"
        setup.append(
            f"CREATE TABLE p ({', '.join(c.ddl() for c in parent_columns)}, {key_ddl} ({key_list}))"
        )
        if partitioning and caps.major < 18:
            not_valid = False  # 12-17 refuse NOT VALID keys on partitioned tables
        columns = ["id int", *(c.ddl() for c in child_columns), *(c.ddl() for c in extras)]
        fk = fk_clause.format(parent="p")
        body = ", ".join(columns) + ("" if not_valid else f", {fk}")
        setup.append(
            f"CREATE TABLE c ({body})"
            + (
                f" PARTITION BY {_partition_clause(partitioning, child_columns)}"
                if partitioning
                else ""
            )
        )
        if partitioning:
            setup += _partition_statements(partitioning)
        if not_valid:
            setup.append(f"ALTER TABLE c ADD {fk} NOT VALID")
    if not_valid:
        features.add("NOT VALID")
    if match_full:
        features.add("MATCH FULL")

    tables = partitioning.leaves if partitioning else [child]
    indexes: list[str] = []
    for _ in range(rng.choices([0, 1, 2, 3], [2, 5, 3, 1])[0]):
        target = child
        if partitioning and rng.random() < 0.5:
            target = rng.choice(tables)
            features.add("index on a leaf")
        indexes.append(_index(rng, caps, target, child_columns, extras, features))
    if partitioning and rng.random() < 0.3:
        # The same index on every leaf but one, or on all of them one by one.
        spec = _index(rng, caps, "{leaf}", child_columns, extras, features)
        skip = rng.choice([None, *tables])
        indexes += [spec.format(leaf=q(leaf)) for leaf in tables if leaf != skip]
        features.add("index per leaf")
    if any("bloom" in i for i in indexes):
        setup.insert(0, "CREATE EXTENSION IF NOT EXISTS bloom")
    return GeneratedCase(
        seed=seed,
        features=features,
        setup=setup,
        indexes=indexes,
        fk_name=fk_name,
        parent=parent,
        child=child,
        parent_columns=parent_columns,
        child_columns=child_columns,
        self_reference=self_reference,
        partitioning=partitioning,
        nd_mismatch=nd_mismatch,
    )


def _partitioning(
    rng: random.Random, caps: Capabilities, columns: Sequence[Column], features: set[str]
) -> Partitioning:
    keys = [i for i, c in enumerate(columns) if c.type.partition_key and c.collate is None]
    position = rng.choice(keys) if keys and rng.random() < 0.9 else None
    if position is None:
        features.add("partitioned by a non-key column")
        count = rng.choice([2, 3])
        return Partitioning(None, ["0"], [None], tops=[f"c_x{n}" for n in range(count)])
    column = columns[position]
    kinds = ["list1", "list2", "hash"] + (["range"] if column.type.family == "int" else [])
    kind = rng.choice(kinds)
    features.add(f"partitioned {kind}")
    count = rng.choice([2, 3])
    if kind == "hash":
        partitioning = Partitioning(
            position, [], [], hash_modulus=count, tops=[f"c_h{n}" for n in range(count)]
        )
    else:
        partitioning = _valued_partitioning(rng, column, position, kind, count, features)
    if rng.random() < 0.15:
        partitioning.sub = partitioning.tops[0]
        features.add("two levels")
    return partitioning


def _valued_partitioning(
    rng: random.Random, column: Column, position: int, kind: str, count: int, features: set[str]
) -> Partitioning:
    others: list[str | None] = [None] * count
    if kind == "list1":
        probes = [_value(column, n) for n in range(1, count + 1)]
    elif kind == "list2":
        probes = [_value(column, 2 * n + 1) for n in range(count)]
        others = [_value(column, 2 * n + 2) for n in range(count)]
    else:
        width = rng.choice([1, 10])
        features.add(f"range width {width}")
        probes = [str(width * n) for n in range(count)]
    partitioning = Partitioning(
        position, probes, others, tops=[f"c_{kind}_{n}" for n in range(count)]
    )
    if rng.random() < 0.3:
        partitioning.probes.append(_value(column, 99))
        partitioning.tops.append(f"c_{kind}_default")
        features.add("DEFAULT partition")
    return partitioning


def _partition_clause(partitioning: Partitioning, columns: Sequence[Column]) -> str:
    if partitioning.position is None:
        return "LIST (x)"
    name = q(columns[partitioning.position].name)
    if partitioning.hash_modulus:
        return f"HASH ({name})"
    if partitioning.tops[0].startswith("c_range"):
        return f"RANGE ({name})"
    return f"LIST ({name})"


def _literal(value: str) -> str:
    return value if value.lstrip("-").isdigit() else "'" + value.replace("'", "''") + "'"


def _partition_statements(partitioning: Partitioning) -> list[str]:
    out = []
    for n, top in enumerate(partitioning.tops):
        if partitioning.position is None:
            bound = f"FOR VALUES IN ({n})"
        elif partitioning.hash_modulus:
            bound = f"FOR VALUES WITH (MODULUS {partitioning.hash_modulus}, REMAINDER {n})"
        elif top.endswith("_default"):
            bound = "DEFAULT"
        elif top.startswith("c_range"):
            low = int(partitioning.probes[n])
            high = low + int(partitioning.probes[1]) - int(partitioning.probes[0])
            bound = f"FOR VALUES FROM ({low}) TO ({high})"
        else:
            values = [partitioning.probes[n], partitioning.others[n]]
            bound = f"FOR VALUES IN ({', '.join(_literal(v) for v in values if v is not None)})"
        if top == partitioning.sub:
            out.append(f"CREATE TABLE {top} PARTITION OF c {bound} PARTITION BY LIST (x)")
            out.append(f"CREATE TABLE {top}_x0 PARTITION OF {top} FOR VALUES IN (0)")
            out.append(f"CREATE TABLE {top}_xd PARTITION OF {top} DEFAULT")
        else:
            out.append(f"CREATE TABLE {top} PARTITION OF c {bound}")
    return out


_PREDICATES_ONE = (
    "{f} IS NOT NULL",
    "NOT ({f} IS NULL)",
    "ROW({f}) IS NOT NULL",
    "{f} IS NOT NULL OR x > 0",
    "1 = 1",
    "true",
    "{f} IS DISTINCT FROM NULL",
    "{f} IS NOT NULL OR {f} IS NULL",
    "x IS NULL",
    "x IS NOT NULL",
    "x > 0",
    "{f} IS NOT NULL AND x > 0",
    "{f} > {zero}",
    "{f} <> {zero}",
)


def _predicate(rng: random.Random, columns: Sequence[Column], features: set[str]) -> str:
    if len(columns) > 1 and rng.random() < 0.3:
        names = [q(c.name) for c in columns]
        form = rng.choice(["row", "and", "some"])
        features.add(f"predicate {form} of all")
        if form == "row":
            return f"({', '.join(names)}) IS NOT NULL"
        if form == "and":
            return " AND ".join(f"{n} IS NOT NULL" for n in names)
        return f"{names[0]} IS NOT NULL"
    column = rng.choice(columns)
    template = rng.choice(_PREDICATES_ONE)
    features.add(f"predicate {template}")
    zero = "0" if column.type.family == "int" else "''"
    return template.format(f=q(column.name), zero=zero)


def _key_column(
    rng: random.Random, caps: Capabilities, column: Column, method: str, features: set[str]
) -> str:
    name = q(column.name)
    if method != "btree":
        return name
    roll = rng.random()
    if roll < 0.06:
        features.add("expression column")
        if column.type.family == "int":
            return rng.choice([f"({name} + 0)", f"(({name})::numeric)", f"(({name})::bigint)"])
        return rng.choice([f"lower({name})", f"(({name})::text)"])
    parts = [name]
    if column.type.text and rng.random() < 0.15:
        collations = ['"C"', '"POSIX"', '"default"'] + (['"und-x-icu"', "nd"] if caps.icu else [])
        parts.append(f"COLLATE {rng.choice(collations)}")
        features.add("index COLLATE")
    if column.type.text and rng.random() < 0.1:
        opclass = "varchar_pattern_ops" if column.type is VARCHAR else "text_pattern_ops"
        parts.append(opclass)
        features.add("pattern_ops")
    if rng.random() < 0.1:
        parts.append(rng.choice(["DESC", "DESC NULLS LAST", "NULLS FIRST"]))
        features.add("DESC/NULLS")
    return " ".join(parts)


def _index(
    rng: random.Random,
    caps: Capabilities,
    table: str,
    columns: Sequence[Column],
    extras: Sequence[Column],
    features: set[str],
) -> str:
    methods = ["btree", "unique", "hash", "gist", "gin", "spgist", "brin"]
    weights = [10, 2, 2, 2, 2, 2, 2]
    if caps.bloom:
        methods.append("bloom")
        weights.append(2)
    method = rng.choices(methods, weights)[0]
    features.add(f"index {method}")
    pool = [*columns, *columns, *columns, *extras]
    if method in ("hash", "spgist"):
        if method == "spgist":
            pool = [c for c in pool if c.type.text]
        keys = [rng.choice(pool)]
    elif method in ("btree", "unique"):
        count = rng.choices([1, 2, 3, 4], [4, 4, 2, 1])[0]
        keys = [rng.choice(pool) for _ in range(count)]
        if len({k.name for k in keys}) < len(keys):
            features.add("repeated column")
    else:
        count = rng.choices([1, 2, 3], [4, 3, 1])[0]
        keys = list(dict.fromkeys(rng.choice(pool) for _ in range(count)))
    am = "btree" if method == "unique" else method
    rendered = [_key_column(rng, caps, k, am, features) for k in keys]
    include = ""
    if method in ("btree", "unique") and rng.random() < 0.25:
        extra = rng.choice([*columns, *extras])
        if extra not in keys:
            include = f" INCLUDE ({q(extra.name)})"
            features.add("INCLUDE")
    where = ""
    if rng.random() < 0.3:
        where = f" WHERE {_predicate(rng, columns, features)}"
    unique = "UNIQUE " if method == "unique" else ""
    using = "" if am == "btree" and rng.random() < 0.7 else f" USING {am}"
    return f"CREATE {unique}INDEX ON {table}{using} ({', '.join(rendered)}){include}{where}"


# -- running a case ------------------------------------------------------------------------------


@dataclass
class Outcome:
    seed: int
    kind: str  # agree, disagree, refused, known error
    message: str = ""
    fkaudit: Grade | None = None
    truth: Verdict | None = None


class _BuildError(Exception):
    def __init__(self, statement: str, error: psycopg.Error) -> None:
        super().__init__(f"{statement}: {error.sqlstate} {error.diag.message_primary}")
        self.statement = statement
        self.sqlstate = error.sqlstate or ""


def _run(conn: psycopg.Connection[Any], statement: str, done: list[str]) -> None:
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.Error as exc:
        raise _BuildError(statement, exc) from exc
    done.append(statement)


def _hash_values(
    conn: psycopg.Connection[Any], case: GeneratedCase, partitioning: Partitioning
) -> None:
    """A value per HASH partition, found with satisfies_hash_partition()."""
    assert partitioning.position is not None
    column = case.child_columns[partitioning.position]
    value = "g::text" if column.type.family == "int" else "'h' || g"
    for remainder in range(partitioning.hash_modulus):
        rows = conn.execute(
            sql.SQL(
                "SELECT v::text FROM (SELECT CAST({value} AS {type}) AS v, g"
                " FROM generate_series(1, 1000) g) s"
                " WHERE satisfies_hash_partition(%s::regclass, %s, %s, s.v) ORDER BY g LIMIT 1"
            ).format(value=sql.SQL(value), type=sql.SQL(column.type.ddl)),
            (f"{SCHEMA}.c", partitioning.hash_modulus, remainder),
        ).fetchall()
        partitioning.probes.append(rows[0][0])


def _probes(case: GeneratedCase) -> list[Probe]:
    """A new parent key reaching each leaf, and what its referencing row needs besides."""
    part = case.partitioning
    groups = len(part.probes) if part and part.position is not None else 1
    probes = []
    for n in range(groups):
        key = [
            part.probes[n] if part and part.position == i else _value(column, 1000 + n)
            for i, column in enumerate(case.parent_columns)
        ]
        child = [("x", "0")]  # a partition of its own when the child is partitioned by x
        if case.self_reference:  # the referencing row is a row of the same table
            child += [(c.name, _value(c, 2000 + n)) for c in case.parent_columns]
        probes.append(Probe(tuple(key), tuple(child)))
    return probes


def _fkaudit_grade(conn: psycopg.Connection[Any], name: str) -> Grade:
    report = fkaudit.audit(conn, select=["FK101", "FK102"], scope=Scope(schemas=(SCHEMA,)))
    assert not report.errors, report.errors
    codes = {f.code for f in (*report.findings, *report.suppressed) if f.constraint == name}
    assert len(codes) <= 1, codes
    return {"FK101": Grade.NONE, "FK102": Grade.PARTIAL}.get(
        codes.pop() if codes else "", Grade.FULL
    )


def run_case(conn: psycopg.Connection[Any], caps: Capabilities, case: GeneratedCase) -> Outcome:
    """Build the pair in a rolled-back transaction and compare fkaudit with the trigger."""
    built: list[str] = []
    skipped: list[str] = []

    def report(kind: str, message: str, **extra: Any) -> Outcome:
        return Outcome(case.seed, kind, _describe(caps, case, built, skipped, message), **extra)

    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("SET LOCAL search_path = {}, public").format(sql.Identifier(SCHEMA)))
        try:
            for statement in case.setup:
                _run(conn, statement, built)
        except _BuildError as exc:
            if exc.sqlstate == "42P21" and caps.major >= 18 and case.nd_mismatch:
                return report("refused", str(exc))
            return report("broken", f"the generator built a pair PostgreSQL refuses: {exc}")
        for statement in case.indexes:
            try:
                _run(conn, statement, built)
            except _BuildError as exc:
                skipped.append(str(exc))
        if case.partitioning and case.partitioning.hash_modulus:
            _hash_values(conn, case, case.partitioning)
        probes = _probes(case)
        row = conn.execute(
            "SELECT oid FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            (case.fk_name, f"{SCHEMA}.{case.child}"),
        ).fetchone()
        assert row is not None
        fk_oid = row[0]
        try:
            ours = _fkaudit_grade(conn, case.fk_name)
        except Exception as exc:  # a crash is a finding too: report it with the pair
            return report("disagree", f"fkaudit failed: {type(exc).__name__}: {exc}")
        try:
            truth = trigger_verdict(conn, fk_oid, probes)
        except OracleError as exc:
            return report("broken", f"the oracle could not judge: {exc}")
        except RiStatementError as exc:
            if (
                exc.sqlstate == "42P22"
                and exc.statement not in foreign_key(conn, fk_oid).statements()
            ):
                # NO ACTION first looks for another parent row with the same key; that
                # comparison has no collation either (a parent column COLLATE unlike its
                # domain's): every delete fails before the lookup on the child.
                return report("known error", f"parent-side recheck: {exc}", fkaudit=ours)
            try:
                explained = explain_verdict(conn, fk_oid)
            except RiStatementError as again:
                if again.sqlstate == exc.sqlstate and exc.sqlstate in KNOWN_RI_ERRORS:
                    return report("known error", str(exc), fkaudit=ours)
                return report("disagree", f"the trigger failed with {exc}, EXPLAIN with {again}")
            return report(
                "disagree", f"the trigger failed with {exc}, EXPLAIN gave {explained.describe()}"
            )
        try:
            explained = explain_verdict(conn, fk_oid)
        except RiStatementError as exc:
            return report(
                "disagree", f"EXPLAIN failed with {exc}, the trigger gave {truth.describe()}"
            )
    problems = []
    ran, rebuilt = set(truth.statements), set(explained.statements)
    if ran != rebuilt:
        problems.append(f"rebuilt statements {sorted(rebuilt)} != the trigger's {sorted(ran)}")
    if explained.grade != truth.grade:
        problems.append(f"EXPLAIN says {explained.describe()}")
    if ours != truth.grade:
        problems.insert(0, f"fkaudit says {ours.name}, the trigger's plan {truth.describe()}")
    if problems:
        return report("disagree", "\n".join(problems), fkaudit=ours, truth=truth)
    return Outcome(case.seed, "agree", fkaudit=ours, truth=truth)


def _describe(
    caps: Capabilities,
    case: GeneratedCase,
    built: Sequence[str],
    skipped: Sequence[str],
    message: str,
) -> str:
    lines = [
        f"seed {case.seed} on PostgreSQL {caps.major}: {message}",
        f"-- case: differential seed {case.seed} ({', '.join(sorted(case.features))})",
    ]
    lines += [f"{statement};" for statement in built]
    lines += [f"-- not built: {error}" for error in skipped]
    return "\n".join(lines)


# -- the server side ---------------------------------------------------------------------------


def prepare_database(conn: psycopg.Connection[Any]) -> Capabilities:
    """Install what the generator uses; say what the server lacks (ICU, bloom)."""
    major = conn.info.server_version // 10000
    for extension in ("btree_gist", "btree_gin"):
        conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
    bloom = (
        conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'bloom'").fetchone()
        is not None
    )
    if bloom:
        conn.execute("CREATE EXTENSION IF NOT EXISTS bloom")
    icu = (
        conn.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").fetchone()
        is not None
    )
    return Capabilities(major=major, icu=icu, bloom=bloom)


def run_seeds(
    conn: psycopg.Connection[Any], caps: Capabilities, seeds: Sequence[int]
) -> Iterator[Outcome]:
    for seed in seeds:
        yield run_case(conn, caps, generate(seed, caps))


# -- pytest --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def differential_db(server_dsn: str) -> Iterator[tuple[psycopg.Connection[Any], Capabilities]]:
    from tests.conftest import create_database, drop_database

    dsn = create_database(server_dsn)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            yield conn, prepare_database(conn)
    finally:
        drop_database(server_dsn, dsn)


@pytest.mark.parametrize("seed", QUICK_SEEDS)
def test_fkaudit_agrees_with_the_ri_trigger(
    differential_db: tuple[psycopg.Connection[Any], Capabilities], seed: int
) -> None:
    conn, caps = differential_db
    outcome = run_case(conn, caps, generate(seed, caps))
    assert outcome.kind not in ("disagree", "broken"), outcome.message


def test_quick_seeds_cover_the_generator(
    differential_db: tuple[psycopg.Connection[Any], Capabilities],
) -> None:
    """The seeds of the normal suite build every kind of pair the generator knows."""
    _, caps = differential_db
    seen = set().union(*(generate(seed, caps).features for seed in QUICK_SEEDS))
    wanted = {
        *("width 1", "width 2", "width 3", "self reference", "NOT VALID", "MATCH FULL"),
        *("deferred", "ON DELETE RESTRICT", "ON DELETE CASCADE", "ON DELETE SET NULL"),
        *("ON DELETE SET DEFAULT", "type dtext_c", "type numeric", "type varchar(20)"),
        *("index btree", "index unique", "index hash", "index gist", "index gin"),
        *("index spgist", "index brin", "repeated column", "expression column", "INCLUDE"),
        *("DESC/NULLS", "index COLLATE", "pattern_ops", "predicate 1 = 1"),
        *("predicate ROW({f}) IS NOT NULL", "predicate NOT ({f} IS NULL)"),
        *("partitioned list1", "partitioned list2", "partitioned hash", "partitioned range"),
        *("partitioned by a non-key column", "DEFAULT partition", "two levels"),
        *("index on a leaf", "index per leaf"),
    }
    if caps.bloom:
        wanted.add("index bloom")
    if caps.icu:
        wanted |= {"type dtext_nd", "collate nd", 'collate "und-x-icu"'}
    assert wanted <= seen, sorted(wanted - seen)


@pytest.mark.fuzz
def test_fuzz(differential_db: tuple[psycopg.Connection[Any], Capabilities]) -> None:
    conn, caps = differential_db
    start = int(os.environ.get("FKAUDIT_FUZZ_START", "1000"))
    count = int(os.environ.get("FKAUDIT_FUZZ_SEEDS", "2000"))
    failures = [
        o.message
        for o in run_seeds(conn, caps, range(start, start + count))
        if o.kind in ("disagree", "broken")
    ]
    assert not failures, f"{len(failures)} of {count} seeds disagree:\n\n" + "\n\n".join(failures)


# -- command line ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.test_ri_differential",
        description="Compare fkaudit's FK101/FK102 with the RI trigger on random pairs.",
    )
    parser.add_argument("--seeds", type=int, default=200, help="how many seeds (default 200)")
    parser.add_argument("--start", type=int, default=1000, help="first seed (default 1000)")
    parser.add_argument("--dsn", help="a superuser DSN (default: the test suite's server)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    from tests.conftest import create_database, drop_database
    from tests.pgserver import suite_server_dsn

    server = suite_server_dsn() if args.dsn is None else contextlib.nullcontext(args.dsn)
    with server as admin:
        dsn = create_database(admin)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                caps = prepare_database(conn)
                started = time.monotonic()
                kinds: Counter[str] = Counter()
                for outcome in run_seeds(conn, caps, range(args.start, args.start + args.seeds)):
                    kinds[outcome.kind] += 1
                    if outcome.kind in ("disagree", "broken") and not args.quiet:
                        print(outcome.message, end="\n\n", flush=True)
        finally:
            drop_database(admin, dsn)
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    print(
        f"PostgreSQL {caps.major}, seeds {args.start}..{args.start + args.seeds - 1}: "
        f"{summary} ({elapsed:.1f} s)"
    )
    return 1 if kinds["disagree"] or kinds["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
