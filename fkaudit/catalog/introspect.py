"""Read `pg_catalog` into a frozen `Catalog`, in one round trip whatever the schema size.

The queries are sent as one batch of statements (simple query protocol) and their result sets
read in order; with the session's REPEATABLE READ transaction they all see one snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from fkaudit.catalog.model import Action, Catalog, Column, ForeignKey, Index, MatchType, Table
from fkaudit.catalog.queries import catalog_queries
from fkaudit.catalog.scope import Scope

Row = Sequence[Any]


def _result_sets(conn: psycopg.Connection[Any], queries: Sequence[str]) -> list[list[Row]]:
    with conn.cursor() as cur:
        cur.execute(";\n".join(q.strip() for q in queries))
        results = [cur.fetchall()]
        while cur.nextset():
            results.append(cur.fetchall())
    if len(results) != len(queries):
        raise RuntimeError(f"expected {len(queries)} catalog result sets, got {len(results)}")
    return results


def _columns_by_table(rows: Iterable[Row]) -> dict[int, list[Column]]:
    grouped: dict[int, list[Column]] = {}
    for relid, attnum, name, quoted, type_oid, type_name, not_null, collation in rows:
        grouped.setdefault(relid, []).append(
            Column(attnum, name, quoted, type_oid, type_name, not_null, collation)
        )
    return grouped


def _tables(rows: Iterable[Row], columns: dict[int, list[Column]]) -> dict[int, Table]:
    tables = {}
    for oid, schema, name, relkind, parent, reltuples, size, extension_member in rows:
        # reltuples is -1 (PG14+) for a table never vacuumed or analyzed: unknown, not empty.
        estimated = None if reltuples is None or reltuples < 0 else round(reltuples)
        tables[oid] = Table(
            oid, schema, name, relkind, parent, estimated, size, tuple(columns.get(oid, ())),
            extension_member,
        )  # fmt: skip
    return tables


def _indexes(rows: Iterable[Row], opfamily_of_opclass: dict[int, int]) -> tuple[Index, ...]:
    indexes = []
    for (
        oid, table_oid, name, method, nkeys, attnums, opclasses, collations, predicate,
        unique, primary, valid, ready, live,
    ) in rows:
        indexes.append(
            Index(
                oid, table_oid, name, method,
                key_attnums=tuple(attnums[:nkeys]),
                include_attnums=tuple(attnums[nkeys:]),
                key_opfamilies=tuple(opfamily_of_opclass.get(c, 0) for c in opclasses[:nkeys]),
                key_collations=tuple(collations[:nkeys]),
                predicate=predicate,
                is_unique=unique, is_primary=primary,
                is_valid=valid, is_ready=ready, is_live=live,
            )
        )  # fmt: skip
    return tuple(indexes)


def _foreign_keys(rows: Iterable[Row], triggers: Iterable[Row]) -> tuple[ForeignKey, ...]:
    states: dict[int, list[str]] = {}
    for constraint_oid, enabled in triggers:
        states.setdefault(constraint_oid, []).append(enabled)
    fks = []
    for (
        oid, schema, name, table_oid, ref_oid, attnums, ref_attnums, pf_ops,
        on_delete, on_update, match, deferrable, deferred, validated,
        parent, delete_set, enforced, period,
    ) in rows:
        fks.append(
            ForeignKey(
                oid, schema, name, table_oid, ref_oid,
                attnums=tuple(attnums), ref_attnums=tuple(ref_attnums),
                pf_eq_operators=tuple(pf_ops),
                on_delete=Action(on_delete), on_update=Action(on_update),
                match_type=MatchType(match),
                deferrable=deferrable, initially_deferred=deferred,
                validated=validated, enforced=enforced, is_period=period,
                delete_set_attnums=tuple(delete_set) if delete_set else None,
                parent_constraint_oid=parent,
                unusual_trigger_states=tuple(states.get(oid, ())),
            )
        )  # fmt: skip
    return tuple(fks)


def introspect(conn: psycopg.Connection[Any], scope: Scope | None = None) -> Catalog:
    """Read the catalog of the connected database; `scope` selects the tables inspected."""
    scope = scope or Scope()
    version = conn.info.server_version
    (
        table_rows, column_rows, index_rows, opclass_rows, fk_rows, trigger_rows, operator_rows,
    ) = _result_sets(conn, catalog_queries(version))  # fmt: skip
    tables = _tables(table_rows, _columns_by_table(column_rows))
    # Drop constraints whose tables are in system schemas.
    fks = tuple(
        fk for fk in _foreign_keys(fk_rows, trigger_rows)
        if fk.table_oid in tables and fk.ref_table_oid in tables
    )  # fmt: skip
    return Catalog(
        server_version_num=version,
        database=conn.info.dbname,
        tables=tables,
        indexes=_indexes(index_rows, dict(opclass_rows)),  # type: ignore[arg-type]
        foreign_keys=fks,
        search_operators=frozenset((family, op) for family, op in operator_rows),
        in_scope_table_oids=frozenset(
            oid
            for oid, t in tables.items()
            if not t.extension_member and scope.includes(t.schema, t.name)
        ),
    )
