"""Read `pg_catalog` into a frozen `Catalog`, in a fixed number of queries whatever its size.

The queries run one after another (simple query protocol) and each result set becomes model
objects before the next runs; with the session's REPEATABLE READ transaction they all see one
snapshot. One more, small, runs only when SET DEFAULT keys need their default rows checked.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from sys import intern
from typing import Any, cast

import psycopg

from fkaudit.catalog.default_rows import access_by_key, check_default_rows
from fkaudit.catalog.model import (
    Action,
    Catalog,
    Collation,
    Column,
    ColumnDefault,
    ForeignKey,
    ImpliedReference,
    Index,
    MatchType,
    NullCheck,
    Operator,
    SuppressionComment,
    Table,
    Trigger,
    TypeInfo,
)
from fkaudit.catalog.nodetree import (
    Formula,
    IsNull,
    Not,
    column_casts,
    holds_one_list_value,
    not_null_attnums,
    null_formula,
)
from fkaudit.catalog.queries import (
    IMPLIED_REFERENCES,
    catalog_queries,
    type_and_operator_queries,
)
from fkaudit.catalog.scope import Scope

Row = Sequence[Any]

# Rows per chunk of a streamed result: libpq 17's chunked mode; an older libpq (a psycopg built
# against the system's) streams one row at a time.
_CHUNK_ROWS = 1000 if psycopg.pq.version() >= 170000 else 1

# Enum lookups by value through a dict: `Action(letter)` costs ~1 us, 30,000 times per 10,000 keys.
_ACTIONS = {action.value: action for action in Action}
_MATCH_TYPES = {match.value: match for match in MatchType}


def result_sets(
    conn: psycopg.Connection[Any], queries: Sequence[str], params: dict[str, Any] | None = None
) -> Generator[Iterator[Row]]:
    """Run the queries one after another (simple protocol; parameters bound client-side) and
    yield each one's rows as a stream, read from the server a chunk at a time: the caller turns
    them into model objects as they come, and the next query runs once they are all read.

    Sent as one batch, every raw result stayed in libpq's memory until the last was read, and a
    result fetched whole is held twice (raw, then as Python rows): 150 MB, then 100 MB more, at
    100,000 keys.

    Use it under `contextlib.closing`. A stream suspended mid-result holds the connection's
    lock; if an exception (Ctrl-C, SIGTERM) left it so, the rollback on the way out would wait
    for that lock forever. Closing the generator closes the stream, which cancels its query.
    """
    with psycopg.ClientCursor(conn) as cur:
        for query in queries:
            # psycopg's stream is a generator, typed as a plain iterator.
            rows = cast("Generator[Row]", cur.stream(query, params, size=_CHUNK_ROWS))
            try:
                yield rows
                for _ in rows:  # what the caller left unread, before the next query is sent
                    pass
            finally:
                rows.close()


def second_batch_parameters(
    tables: Iterable[Table], fks: Iterable[ForeignKey]
) -> dict[str, list[int]]:
    """The types and collations of the columns read, and the RI operators (`conpfeqop`)."""
    columns = [column for table in tables for column in table.columns]
    return {
        "types": sorted({c.type_oid for c in columns}),
        "operators": sorted({op for fk in fks for op in fk.pf_eq_operators}),
        "collations": sorted({c.collation_oid for c in columns if c.collation_oid}),
    }


def _null_checks(rows: Iterable[Row]) -> dict[int, tuple[NullCheck, ...]]:
    """Per table, the constraints that may reject NULL besides a validated NOT NULL.

    The rows are CHECKs mentioning a null test, whose expression is read from their node tree
    (`nodetree`), and PostgreSQL 18 NOT VALID NOT NULL constraints (conkey names the column).
    Checks that test for NULL but can never reject one (`a IS NULL OR a > 0`) are dropped.
    """
    checks: dict[int, list[NullCheck]] = {}
    for relid, name, contype, validated, conkey, conbin in rows:
        if contype == "n":
            formula: Formula = Not(IsNull(conkey[0])) if conkey else None
            check = NullCheck(name, "NOT NULL", False, formula)
        else:
            check = NullCheck(name, "CHECK", bool(validated), null_formula(conbin or ""))
        if check.formula is not None:
            checks.setdefault(relid, []).append(check)
    return {relid: tuple(items) for relid, items in checks.items()}


def _columns_by_table(
    rows: Iterable[Row], checks: dict[int, tuple[NullCheck, ...]]
) -> dict[int, list[Column]]:
    guards: dict[tuple[int, int], list[NullCheck]] = {}
    for relid, table_checks in checks.items():
        for check in table_checks:
            for attnum in sorted(not_null_attnums(check.formula)):
                guards.setdefault((relid, attnum), []).append(check)
    grouped: dict[int, list[Column]] = {}
    for relid, attnum, name, quoted, type_oid, type_name, not_null, collation in rows:
        # Repeated strings shared: a quoted name that needs no quotes is the name itself.
        quoted = name if quoted == name else quoted
        column = Column(attnum, name, quoted, type_oid, intern(type_name), not_null, collation)
        column_guards = guards.get((relid, attnum))
        if column_guards:
            # attnotnull is set by a NOT VALID NOT NULL too (PG18): that one is a guard only.
            pending = any(g.kind == "NOT NULL" for g in column_guards)
            column = column._replace(
                declared_not_null=not_null and not pending, guards=tuple(column_guards)
            )
        grouped.setdefault(relid, []).append(column)
    return grouped


def _tables(
    rows: Iterable[Row],
    columns: dict[int, list[Column]],
    null_checks: dict[int, tuple[NullCheck, ...]],
) -> dict[int, Table]:
    tables = {}
    for (
        oid,
        schema,
        name,
        relkind,
        parent,
        reltuples,
        size,
        extension_member,
        strategy,
        key_attnums,
        bound,
    ) in rows:
        # reltuples is -1 (PG14+) for a table never vacuumed or analyzed: unknown, not empty.
        estimated = None if reltuples is None or reltuples < 0 else round(reltuples)
        tables[oid] = Table(
            oid,
            intern(schema),
            name,
            relkind,
            parent,
            estimated,
            size,
            tuple(columns.get(oid, ())),
            extension_member,
            null_checks.get(oid, ()),
            strategy,
            tuple(key_attnums or ()),
            bool(bound) and holds_one_list_value(bound),
        )
    return tables


class _Shared(dict[tuple[int, ...], tuple[int, ...]]):
    """One tuple object for equal tuples of numbers: most keys are (1,) or (2,), over the same
    few operator families; a tuple per index and per key cost 40 MB at 100,000 keys."""

    def __call__(self, values: Iterable[int]) -> tuple[int, ...]:
        made = tuple(values)
        return self.setdefault(made, made)


def _indexes(rows: Iterable[Row], opfamily_of_opclass: dict[int, int]) -> tuple[Index, ...]:
    """Index records, built positionally in field order (keywords cost 40% more at 17,000)."""
    family = opfamily_of_opclass.get
    share = _Shared()
    return tuple(
        Index(
            oid,
            table_oid,
            name,
            intern(method),
            share(attnums[:nkeys]),  # key_attnums
            share(attnums[nkeys:]),  # include_attnums
            share(family(c, 0) for c in opclasses[:nkeys]),  # key_opfamilies
            share(collations[:nkeys]),  # key_collations
            predicate,
            null_formula(predicate_tree) if predicate_tree else None,
            _key_casts(attnums[:nkeys], expressions),
            unique,
            primary,
            valid,
            ready,
            live,
        )
        for (
            oid,
            table_oid,
            name,
            method,
            nkeys,
            attnums,
            opclasses,
            collations,
            predicate,
            predicate_tree,
            expressions,
            unique,
            primary,
            valid,
            ready,
            live,
        ) in rows
    )


def _key_casts(
    key_attnums: Sequence[int], expressions: str | None
) -> tuple[tuple[int, int] | None, ...]:
    """Per key column, the (column, type) cast it indexes, if it is one (`column_casts`);
    expressions are stored in the order of the key columns numbered 0."""
    if not expressions:
        return (None,) * len(key_attnums)
    casts = iter(column_casts(expressions))
    return tuple(next(casts, None) if attnum == 0 else None for attnum in key_attnums)


def _foreign_keys(rows: Iterable[Row], trigger_rows: Iterable[Row]) -> tuple[ForeignKey, ...]:
    fks = []
    share = _Shared()
    for (
        oid,
        schema,
        name,
        table_oid,
        ref_oid,
        attnums,
        ref_attnums,
        pf_ops,
        on_delete,
        on_update,
        match,
        deferrable,
        deferred,
        validated,
        parent,
        delete_set,
        enforced,
        period,
    ) in rows:
        fks.append(
            ForeignKey(
                oid,
                intern(schema),
                name,
                table_oid,
                ref_oid,
                attnums=share(attnums),
                ref_attnums=share(ref_attnums),
                pf_eq_operators=share(pf_ops),
                on_delete=_ACTIONS[on_delete],
                on_update=_ACTIONS[on_update],
                match_type=_MATCH_TYPES[match],
                deferrable=deferrable,
                initially_deferred=deferred,
                validated=validated,
                enforced=enforced,
                is_period=period,
                delete_set_attnums=tuple(delete_set) if delete_set else None,
                parent_constraint_oid=parent,
            )
        )
    return _with_triggers(fks, trigger_rows)


def _with_triggers(fks: list[ForeignKey], trigger_rows: Iterable[Row]) -> tuple[ForeignKey, ...]:
    """Attach unusual RI triggers to the reported constraint, rolling clones up to their root.

    A trigger belongs to the constraint that created it; for a partitioned table that is a
    partition clone, which is never reported itself.
    """
    parent_of = {fk.oid: fk.parent_constraint_oid for fk in fks}

    def root(oid: int) -> int:
        while (parent := parent_of.get(oid)) is not None:
            oid = parent
        return oid

    triggers: dict[int, list[Trigger]] = {}
    for constraint_oid, table_oid, name, enabled in trigger_rows:
        triggers.setdefault(root(constraint_oid), []).append(Trigger(table_oid, name, enabled))
    return tuple(
        fk._replace(unusual_triggers=tuple(triggers[fk.oid])) if fk.oid in triggers else fk
        for fk in fks
    )


def _set_default_columns(rows: Iterable[Row]) -> dict[int, tuple[ColumnDefault, ...]]:
    grouped: dict[int, list[ColumnDefault]] = {}
    for fk_oid, attnum, expression, is_constant, *_access in rows:
        grouped.setdefault(fk_oid, []).append(ColumnDefault(attnum, expression, bool(is_constant)))
    return {oid: tuple(defaults) for oid, defaults in grouped.items()}


def _suppression_comments(
    rows: Iterable[Row], tables: dict[int, Table], fks: tuple[ForeignKey, ...]
) -> tuple[SuppressionComment, ...]:
    by_oid = {fk.oid: fk for fk in fks}
    comments = []
    for on_constraint, oid, text in rows:
        if on_constraint:
            fk = by_oid.get(oid)
            if fk is not None and not fk.is_clone:
                comments.append(SuppressionComment(fk.table_oid, fk.name, text))
        elif oid in tables:
            comments.append(SuppressionComment(oid, None, text))
    return tuple(comments)


def _implied(conn: psycopg.Connection[Any]) -> tuple[list[ImpliedReference], list[Row]]:
    """FK502's candidates (a third round trip), with the column rows they need."""
    references: list[ImpliedReference] = []
    columns: list[Row] = []
    for row in conn.execute(IMPLIED_REFERENCES).fetchall():
        relid, attnum, ref_relid, ref_attnum = row[:4]
        references.append(ImpliedReference(relid, attnum, ref_relid, ref_attnum, 0))
        columns.append((relid, attnum, *row[4:10]))
        columns.append((ref_relid, ref_attnum, *row[10:16]))
    return references, columns


def introspect(
    conn: psycopg.Connection[Any], scope: Scope | None = None, *, implied: bool = False
) -> Catalog:
    """Read the catalog of the connected database; `scope` selects the tables inspected.

    `implied` also reads FK502's candidate references, which cost a scan of pg_attribute that
    runs only for that opt-in rule (first: their columns join the ones the batch reads).
    """
    scope = scope or Scope()
    version = conn.info.server_version
    references, implied_columns = _implied(conn) if implied else ([], [])
    # In the order of catalog_queries(): what a result set needs comes before it. Each is a
    # stream, read to its end before the next query runs: what is needed later is a list.
    with closing(result_sets(conn, catalog_queries(version))) as results:
        null_checks = _null_checks(next(results))
        column_rows: Iterable[Row] = next(results)
        if implied_columns:  # add the candidates' columns the batch did not read
            read = list(column_rows)
            known = {(row[0], row[1]) for row in read}
            extra = {(r[0], r[1]): r for r in implied_columns if (r[0], r[1]) not in known}
            column_rows = sorted([*read, *extra.values()], key=lambda r: (r[0], r[1]))
        columns = _columns_by_table(column_rows, null_checks)
        del column_rows
        tables = _tables(next(results), columns, null_checks)
        del columns
        opfamily_of_opclass = {opclass: family for opclass, family in next(results)}
        indexes = _indexes(next(results), opfamily_of_opclass)
        trigger_rows = list(next(results))
        # Drop constraints whose tables are in system schemas.
        fks = tuple(
            fk
            for fk in _foreign_keys(next(results), trigger_rows)
            if fk.table_oid in tables and fk.ref_table_oid in tables
        )
        set_default_rows, comment_rows, other_name_rows = (list(next(results)) for _ in range(3))
        for _ in results:  # the last stream read to its end, the cursor closed
            raise RuntimeError("more catalog result sets than queries")
    parameters = second_batch_parameters(tables.values(), fks)
    with closing(result_sets(conn, type_and_operator_queries(), parameters)) as results:
        operator_rows, type_rows, operator_type_rows, cast_rows, collation_rows = (
            list(rows) for rows in results
        )
    set_defaults = _set_default_columns(set_default_rows)
    default_row_exists, default_row_unchecked = check_default_rows(
        conn,
        [fk for fk in fks if fk.oid in set_defaults],
        tables,
        set_defaults,
        access_by_key(set_default_rows),
    )
    return Catalog(
        server_version_num=version,
        database=conn.info.dbname,
        tables=tables,
        indexes=indexes,
        foreign_keys=fks,
        search_operators=frozenset((family, op) for family, op in operator_rows),
        in_scope_table_oids=frozenset(
            oid
            for oid, t in tables.items()
            if not t.extension_member and scope.includes(t.schema, t.name)
        ),
        type_info={
            oid: TypeInfo(base, family, collation) for oid, base, collation, family in type_rows
        },
        collations={oid: Collation(*rest) for oid, *rest in collation_rows},
        operators={oid: Operator(*rest) for oid, *rest in operator_type_rows},
        implied_references=tuple(
            r for r in references if r.table_oid in tables and r.ref_table_oid in tables
        ),
        binary_casts=frozenset((source, target) for source, target in cast_rows),
        set_default_columns=set_defaults,
        default_row_exists=default_row_exists,
        default_row_unchecked=default_row_unchecked,
        suppression_comments=_suppression_comments(comment_rows, tables, fks),
        other_relation_names=frozenset((nsp, name) for nsp, name in other_name_rows),
    )
