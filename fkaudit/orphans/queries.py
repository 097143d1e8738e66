"""The SQL that finds the orphans of one foreign key, composed with `psycopg.sql`.

A row is an orphan when its key is not all NULL and no referenced row matches it:

- MATCH SIMPLE (the default) checks a row only when every key column is non-NULL;
- MATCH FULL also rejects a row where some, but not all, key columns are NULL: that row is an
  orphan whatever the referenced table holds.

The comparison is the constraint's own: each referenced column is compared with the operator
in `conpfeqop`, the referencing column cast to its right operand type when it differs, exactly
as the RI triggers do (an int column referencing a bigint key, varchar referencing text). ONLY
is used on a table that is not partitioned, as the triggers do. A temporal key (PostgreSQL 18,
PERIOD) is satisfied when the referenced rows with the same key together cover the row's
period: `period <@ range_agg(referenced periods)`.
"""

from __future__ import annotations

from psycopg import sql

from fkaudit.catalog.model import Catalog, Column, ForeignKey, MatchType, Table
from fkaudit.escape import printable_sql

CHILD, PARENT = sql.Identifier("c"), sql.Identifier("p")


def _relation(table: Table, alias: sql.Identifier) -> sql.Composable:
    only = sql.SQL("" if table.is_partitioned else "ONLY ")
    return sql.SQL("{}{} AS {}").format(only, sql.Identifier(table.schema, table.name), alias)


def _column(alias: sql.Identifier, column: Column) -> sql.Composable:
    return sql.SQL("{}.{}").format(alias, sql.Identifier(column.name))


def _compared(catalog: Catalog, column: Column, operator: int) -> sql.Composable:
    """The referencing column as the operator's right operand (cast when the types differ)."""
    info = catalog.operators[operator]
    if info.right_type_oid in (0, column.type_oid):
        return _column(CHILD, column)
    # `schema.typname` quoted by the server: a valid type name, not user input.
    type_name = sql.SQL(info.right_type_name)
    return sql.SQL("({})::{}").format(_column(CHILD, column), type_name)


def _equal(catalog: Catalog, child: Column, parent: Column, operator: int) -> sql.Composable:
    info = catalog.operators.get(operator)
    if info is None:  # an implied reference (FK502): no constraint, the type's own `=`
        return sql.SQL("{} = {}").format(_column(PARENT, parent), _column(CHILD, child))
    return sql.SQL("{} OPERATOR({}.{}) {}").format(
        _column(PARENT, parent),
        sql.Identifier(info.schema),
        sql.SQL(info.name),  # an operator's symbol, from the catalog
        _compared(catalog, child, operator),
    )


def _unmatched(catalog: Catalog, fk: ForeignKey) -> sql.Composable:
    """`NOT EXISTS (a referenced row)`, or for a temporal key, `NOT (period covered)`."""
    child, parent = catalog.table(fk.table_oid), catalog.table(fk.ref_table_oid)
    pairs = [
        (child.column(a), parent.column(r), op)
        for a, r, op in zip(fk.attnums, fk.ref_attnums, fk.pf_eq_operators, strict=True)
    ]
    if not fk.is_period:
        equal = sql.SQL(" AND ").join(_equal(catalog, c, p, op) for c, p, op in pairs)
        return sql.SQL("NOT EXISTS (SELECT 1 FROM {} WHERE {})").format(
            _relation(parent, PARENT), equal
        )
    *keys, (period, parent_period, _) = pairs
    equal = sql.SQL(" AND ").join(_equal(catalog, c, p, op) for c, p, op in keys)
    covered = sql.SQL("{} <@ (SELECT pg_catalog.range_agg({}) FROM {} WHERE {})").format(
        _column(CHILD, period), _column(PARENT, parent_period), _relation(parent, PARENT), equal
    )
    return sql.SQL("NOT COALESCE({}, false)").format(covered)


def orphan_filter(catalog: Catalog, fk: ForeignKey) -> sql.Composable:
    """The WHERE clause, over the referencing table aliased `c`, that selects the orphans."""
    child = catalog.table(fk.table_oid)
    columns = [_column(CHILD, child.column(n)) for n in fk.attnums]
    is_null = [sql.SQL("{} IS NULL").format(c) for c in columns]
    not_null = [sql.SQL("{} IS NOT NULL").format(c) for c in columns]
    unmatched = _unmatched(catalog, fk)
    if fk.match_type is MatchType.FULL and len(columns) > 1:
        return sql.SQL("({}) AND ({} OR {})").format(
            sql.SQL(" OR ").join(not_null), sql.SQL(" OR ").join(is_null), unmatched
        )
    return sql.SQL(" AND ").join([*not_null, unmatched])


def _from(catalog: Catalog, fk: ForeignKey, sample_percent: float | None = None) -> sql.Composable:
    """FROM the referencing table (a repeatable page sample of it, when asked) WHERE orphan."""
    child = _relation(catalog.table(fk.table_oid), CHILD)
    if sample_percent is not None:
        child = sql.SQL("{} TABLESAMPLE SYSTEM ({}) REPEATABLE (0)").format(
            child, sql.Literal(sample_percent)
        )
    return sql.SQL("FROM {} WHERE {}").format(child, orphan_filter(catalog, fk))


def count_query(
    catalog: Catalog, fk: ForeignKey, sample_percent: float | None = None
) -> sql.Composed:
    return sql.SQL("SELECT pg_catalog.count(*) {}").format(_from(catalog, fk, sample_percent))


def count_and_sample_query(
    catalog: Catalog, fk: ForeignKey, limit: int, sample_percent: float | None = None
) -> sql.Composed:
    """Up to `limit` orphan keys (as text), each with the total count, in one scan.

    `count(*) OVER ()` sees every orphan before the first row is returned; only orphan keys
    are buffered (in work_mem, then a temporary file), and only `limit` rows reach the client.
    No row at all means no orphans.
    """
    child = catalog.table(fk.table_oid)
    keys = sql.SQL(", ").join(
        sql.SQL("({})::pg_catalog.text").format(_column(CHILD, child.column(n))) for n in fk.attnums
    )
    return sql.SQL("SELECT pg_catalog.count(*) OVER (), {} {} LIMIT {}").format(
        keys, _from(catalog, fk, sample_percent), sql.Literal(limit)
    )


def listing_query(catalog: Catalog, fk: ForeignKey) -> str:
    """A query a person can run to see every orphan row, as one line of text."""
    return printable_sql(sql.SQL("SELECT c.* {};").format(_from(catalog, fk)).as_string(None))
