"""The frozen in-memory model of the parts of a database that foreign-key rules reason about.

Rules never touch the database: everything they need is read once by `introspect` into these
immutable values (named tuples for the bulk records: tens of thousands are built per run and
frozen dataclasses cost 2-3x more to construct), and the lookup maps (indexes by table,
partitions by parent) are built once here so that every rule runs in time linear in the schema
size.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # nodetree is needed to judge, not to list the rules (`fkaudit rules`)
    from fkaudit.catalog.nodetree import Formula


class Action(enum.Enum):
    """A referential action, keyed by its `pg_constraint.confdeltype` letter."""

    NO_ACTION = "a"
    RESTRICT = "r"
    CASCADE = "c"
    SET_NULL = "n"
    SET_DEFAULT = "d"

    @property
    def sql(self) -> str:
        return self.name.replace("_", " ")


class MatchType(enum.Enum):
    """`pg_constraint.confmatchtype`."""

    SIMPLE = "s"
    FULL = "f"
    PARTIAL = "p"


class NullCheck(NamedTuple):
    """A constraint other than a declared NOT NULL that can reject NULL in some columns.

    A CHECK whose expression holds null tests (`formula`, see `nodetree`), or a PostgreSQL 18
    NOT VALID NOT NULL constraint. A validated one proves that no row breaks it. A NOT VALID one
    is enforced on every row written since, so an action writing NULL fails all the same, but
    older rows may still hold NULLs.
    """

    constraint: str
    kind: str  # "CHECK" or "NOT NULL": how a message names the constraint
    validated: bool
    formula: Formula

    def rejects_nulls(self, attnums: Iterable[int]) -> bool:
        """Does it reject every row in which these columns are NULL?"""
        from fkaudit.catalog.nodetree import rejects_nulls

        return rejects_nulls(self.formula, attnums)

    def describe(self) -> str:
        state = "" if self.validated else ", NOT VALID"
        return f"{self.kind} constraint {self.constraint}{state}"


class Column(NamedTuple):
    """A column; `not_null` is what the rules consult about NULLs already in the table.

    `declared_not_null` is attnotnull, except that a PostgreSQL 18 NOT VALID NOT NULL constraint
    (which sets attnotnull) counts as a NOT VALID guard instead. `guards` are the CHECK
    constraints (and those NOT VALID NOT NULL constraints) that reject NULL in the column, read
    from the table's own constraints: they apply to every row a foreign key on the table covers
    (a partitioned table's CHECKs are inherited by every partition and cannot be NO INHERIT; an
    inheritance parent's foreign key covers only its own rows, where even a NO INHERIT check
    applies).
    """

    attnum: int
    name: str
    quoted_name: str  # quote_ident(), as pg_get_expr() prints it in index predicates
    type_oid: int
    type_name: str
    declared_not_null: bool
    collation_oid: int  # attcollation; 0 for types without collation
    guards: tuple[NullCheck, ...] = ()  # the table's NullChecks rejecting NULL in this column

    @property
    def not_null(self) -> bool:
        """No row holds NULL: declared NOT NULL, or a validated guard."""
        return self.declared_not_null or any(g.validated for g in self.guards)

    @property
    def rejects_null(self) -> bool:
        """Writing NULL fails (validated or not): what decides whether a SET NULL action can run."""
        return self.declared_not_null or bool(self.guards)

    @property
    def unvalidated_guards(self) -> tuple[NullCheck, ...]:
        """NOT VALID guards: `VALIDATE CONSTRAINT` makes the column NOT NULL without a rewrite."""
        return tuple(g for g in self.guards if not g.validated)

    def null_guard_reason(self) -> str:
        """Why NULL is rejected, for messages: '' when declared NOT NULL, else the constraints."""
        if self.declared_not_null:
            return ""
        validated = [g for g in self.guards if g.validated]
        return "; ".join(g.describe() for g in (validated or self.guards))


@dataclass(frozen=True, slots=True)
class Table:
    """A table; slotted, as 100,000 of them are built for a database of that many tables (a
    `__dict__` each cost 30 MB there)."""

    oid: int
    schema: str
    name: str
    relkind: str  # 'r' table, 'p' partitioned table, 'f' foreign table
    partition_parent_oid: int | None
    estimated_rows: int | None  # None: never analyzed
    size_bytes: int
    columns: tuple[Column, ...]  # the columns of its foreign keys (all columns of a partition)
    extension_member: bool = False  # owned by an extension: read, never inspected
    # Its CHECKs testing for NULL and (PG18) NOT VALID NOT NULL constraints; read only for
    # tables that declare a foreign key.
    null_checks: tuple[NullCheck, ...] = ()
    # A partitioned table's strategy ('l' list, 'r' range, 'h' hash) and key columns (0: an
    # expression); a partition's bound holds exactly one non-NULL value of a LIST key.
    partition_strategy: str | None = None
    partition_key_attnums: tuple[int, ...] = ()
    holds_one_list_value: bool = False

    @property
    def is_partitioned(self) -> bool:
        return self.relkind == "p"

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, attnum: int) -> Column:
        found = self.find_column(attnum)
        if found is None:
            raise KeyError(attnum)
        return found

    def find_column(self, attnum: int) -> Column | None:
        """The column if it was read (every column of a partition, FK columns elsewhere).

        A scan, not a map: a table holds the one or two columns of its keys (a map per table
        cost 20 MB at 100,000 tables and was slower to build than the scans it saved).
        """
        for column in self.columns:
            if column.attnum == attnum:
                return column
        return None

    def checks_rejecting_nulls(self, attnums: Iterable[int]) -> tuple[NullCheck, ...]:
        """The constraints that make writing NULL into all these columns at once fail.

        What a SET NULL or SET DEFAULT action writes; validated or not, since PostgreSQL checks
        a NOT VALID constraint on every row written. `CHECK (a IS NOT NULL OR b IS NOT NULL)`
        rejects NULL in (a, b) together, not in either alone.
        """
        nulls = frozenset(attnums)
        return tuple(c for c in self.null_checks if c.rejects_nulls(nulls))


class Index(NamedTuple):
    oid: int
    table_oid: int
    name: str
    access_method: str
    key_attnums: tuple[int, ...]  # 0 marks an expression column
    include_attnums: tuple[int, ...]  # INCLUDE columns: stored, never searchable
    key_opfamilies: tuple[int, ...]  # operator family of each key column
    key_collations: tuple[int, ...]  # collation of each key column (0: not collatable)
    predicate: str | None  # pg_get_expr(indpred), None for a full index
    # The predicate's null tests (`nodetree`), what the planner can prove it from; None when
    # the predicate holds none (or there is no predicate).
    predicate_formula: Formula
    # Per key column: (column, type) when it is the expression `column::type` (a cast), else
    # None; such a column serves a lookup that casts the column to that very type.
    key_casts: tuple[tuple[int, int] | None, ...]
    is_unique: bool
    is_primary: bool
    is_valid: bool
    is_ready: bool
    is_live: bool

    @property
    def is_usable(self) -> bool:
        """False for the leftovers of a failed or in-progress CREATE INDEX CONCURRENTLY."""
        return self.is_valid and self.is_ready and self.is_live


class Trigger(NamedTuple):
    """An RI trigger of a foreign key that is not in its normal state."""

    table_oid: int
    name: str
    enabled: str  # pg_trigger.tgenabled: 'D' disabled, 'R' replica only, 'A' always


class TypeInfo(NamedTuple):
    """What a referencing column's type means for the RI lookup."""

    base_oid: int  # the type itself, or a domain's base type
    btree_family: int | None  # operator family a default btree index on the type uses
    # typcollation: a domain declared COLLATE has its own; the RI lookup's parameter, typed
    # as the referenced column's type, carries it. 0: not collatable; 100: the default.
    collation_oid: int = 0


class Collation(NamedTuple):
    """A collation the RI comparisons may run in."""

    schema: str
    name: str
    deterministic: bool


class Operator(NamedTuple):
    """An RI equality operator (`conpfeqop`): referenced column OPERATOR referencing column."""

    right_type_oid: int  # the type the referencing column is compared as; 0: polymorphic
    schema: str
    name: str
    right_type_name: str  # the right operand type as `schema.typname`, valid in a cast


class ImpliedReference(NamedTuple):
    """A column that looks like a foreign key without being one (FK502)."""

    table_oid: int
    attnum: int
    ref_table_oid: int
    ref_attnum: int  # the referenced table's single-column primary key
    operator: int  # 0: no constraint, so no operator; compared with `=` of the (same) type


class ColumnDefault(NamedTuple):
    """The default of a column written by an ON DELETE/UPDATE SET DEFAULT action."""

    attnum: int
    expression: str | None  # pg_get_expr of the default; None: no default (NULL)
    is_constant: bool

    @property
    def writes_null(self) -> bool:
        """No default, or `DEFAULT NULL` (deparsed as `NULL::type`)."""
        return self.expression is None or self.expression.upper().startswith("NULL")


class SuppressionComment(NamedTuple):
    """A comment carrying `fkaudit:ignore`, on a table or on one of its foreign keys."""

    table_oid: int
    constraint: str | None  # None: a comment on the table itself
    text: str


class ForeignKey(NamedTuple):
    oid: int
    schema: str  # the constraint's schema, which is the child table's
    name: str
    table_oid: int  # referencing (child) table
    ref_table_oid: int  # referenced (parent) table
    attnums: tuple[int, ...]  # child columns, in key order
    ref_attnums: tuple[int, ...]  # parent columns, in key order
    pf_eq_operators: tuple[int, ...]  # conpfeqop: the operators the RI lookup on the child uses
    on_delete: Action
    on_update: Action
    match_type: MatchType
    deferrable: bool
    initially_deferred: bool
    validated: bool
    enforced: bool  # PG18 NOT ENFORCED; always True before 18
    is_period: bool  # PG18 temporal foreign key (PERIOD)
    delete_set_attnums: tuple[int, ...] | None  # PG15 ON DELETE SET NULL/DEFAULT (cols)
    parent_constraint_oid: int | None  # conparentid: a partition clone when set
    # RI triggers not in state 'O', including those of the constraint's partition clones.
    unusual_triggers: tuple[Trigger, ...] = ()
    # No constraint: a column that looks like a reference (FK502), scanned as if it were one.
    implied: bool = False

    @property
    def is_clone(self) -> bool:
        """Partition copies and per-partition rows of an FK to a partitioned table.

        They are internal: the constraint is reported once, at the row without a parent.
        """
        return self.parent_constraint_oid is not None


@dataclass(frozen=True, eq=False)
class Catalog:
    """A consistent snapshot of one database, filtered to the objects in scope."""

    server_version_num: int
    database: str
    tables: Mapping[int, Table]
    indexes: tuple[Index, ...]
    foreign_keys: tuple[ForeignKey, ...]
    search_operators: frozenset[tuple[int, int]]  # (opfamily, operator) usable in index searches
    in_scope_table_oids: frozenset[int] = field(default_factory=frozenset)
    type_info: Mapping[int, TypeInfo] = field(default_factory=dict)  # by referencing type oid
    operators: Mapping[int, Operator] = field(default_factory=dict)  # the RI operators by oid
    binary_casts: frozenset[tuple[int, int]] = frozenset()  # (source, target) type oids
    collations: Mapping[int, Collation] = field(default_factory=dict)
    # SET DEFAULT foreign keys: the defaults their actions write, and whether a referenced row
    # with those values exists (absent when it could not be checked).
    set_default_columns: Mapping[int, tuple[ColumnDefault, ...]] = field(default_factory=dict)
    default_row_exists: Mapping[int, bool] = field(default_factory=dict)
    # SET DEFAULT keys whose default row could not be looked up, with why (FK302 says so).
    default_row_unchecked: Mapping[int, str] = field(default_factory=dict)
    suppression_comments: tuple[SuppressionComment, ...] = ()
    other_relation_names: frozenset[tuple[str, str]] = frozenset()  # (schema, name)
    implied_references: tuple[ImpliedReference, ...] = ()  # read only when FK502 runs

    @cached_property
    def _indexes_by_table(self) -> tuple[tuple[Index, ...], list[int]]:
        """The indexes ordered by table (each table's in catalog order), and their table oids:
        a table's indexes are a slice found by bisection. A tuple per table in a map cost
        10 MB at 100,000 tables; these two sequences of references cost 3."""
        ordered = self.indexes
        oids = [index.table_oid for index in ordered]
        if any(a > b for a, b in pairwise(oids)):  # the catalog query sorts them already
            ordered = tuple(sorted(ordered, key=attrgetter("table_oid")))  # stable
            oids = [index.table_oid for index in ordered]
        return ordered, oids

    @cached_property
    def partitions_by_parent(self) -> Mapping[int, tuple[int, ...]]:
        grouped: dict[int, list[int]] = {}
        for table in self.tables.values():
            if table.partition_parent_oid is not None:
                grouped.setdefault(table.partition_parent_oid, []).append(table.oid)
        return {oid: tuple(items) for oid, items in grouped.items()}

    def table(self, oid: int) -> Table:
        return self.tables[oid]

    def table_indexes(self, table_oid: int) -> tuple[Index, ...]:
        ordered, oids = self._indexes_by_table
        start = bisect_left(oids, table_oid)
        return ordered[start : bisect_right(oids, table_oid, start)]

    def leaf_partitions(self, table_oid: int) -> Iterator[Table]:
        """The tables that hold the rows of a (possibly multi-level) partitioned table."""
        for child_oid in self.partitions_by_parent.get(table_oid, ()):
            child = self.tables.get(child_oid)
            if child is None:
                continue
            if child.is_partitioned:
                yield from self.leaf_partitions(child_oid)
            else:
                yield child

    def estimated_rows(self, table_oid: int) -> int | None:
        """Row estimate of a table, summed over the leaves of a partitioned one."""
        table = self.tables[table_oid]
        if not table.is_partitioned:
            return table.estimated_rows
        counts = [leaf.estimated_rows for leaf in self.leaf_partitions(table_oid)]
        known = [c for c in counts if c is not None]
        return sum(known) if known or not counts else None

    @cached_property
    def inspected_foreign_keys(self) -> tuple[ForeignKey, ...]:
        """The foreign keys rules look at: in scope, each reported once (no clones)."""
        return tuple(
            fk
            for fk in self.foreign_keys
            if not fk.is_clone and fk.table_oid in self.in_scope_table_oids
        )

    def is_search_operator(self, opfamily: int, operator: int) -> bool:
        return (opfamily, operator) in self.search_operators

    def casts_column(self, type_oid: int, operator: int) -> bool:
        """Does the RI lookup with `operator` cast a referencing column of this type?

        The operator compares its right operand as one type; a column of another type is
        converted first, and only a binary-coercible relabel (varchar as text) keeps an index
        on the column usable.
        """
        compared_as = self.operators[operator].right_type_oid if operator in self.operators else 0
        type_info = self.type_info.get(type_oid)
        base = type_info.base_oid if type_info else type_oid
        return compared_as not in (0, type_oid, base) and (
            (base, compared_as) not in self.binary_casts
        )

    @cached_property
    def relation_names(self) -> RelationNames:
        """Every (schema, relation name) taken: tables, indexes, sequences, views..."""
        names = RelationNames()
        for table in self.tables.values():
            names.add(table.schema, table.name)
        tables = self.tables
        for index in self.indexes:
            names.add(tables[index.table_oid].schema, index.name)
        for schema, name in self.other_relation_names:
            names.add(schema, name)
        return names


class RelationNames:
    """A set of (schema, name) pairs, held as the schema of each name: a relation name is
    rarely taken in two schemas, and a pair per relation (300,000 at 100,000 tables) cost
    30 MB more than this map, whose keys and values are strings the catalog already holds.
    """

    __slots__ = ("_elsewhere", "_schema_of")

    def __init__(self) -> None:
        self._schema_of: dict[str, str] = {}
        self._elsewhere: set[tuple[str, str]] = set()  # a name's pairs after its first

    def add(self, schema: str, name: str) -> None:
        first = self._schema_of.setdefault(name, schema)
        if first != schema:
            self._elsewhere.add((schema, name))

    def __contains__(self, pair: object) -> bool:
        if not isinstance(pair, tuple) or len(pair) != 2:
            return False
        schema, name = pair
        first = self._schema_of.get(name)
        return first is not None and (first == schema or pair in self._elsewhere)
