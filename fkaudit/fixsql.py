"""Fix statements, composed with `psycopg.sql` so that they run as printed for any identifier.

Names with quotes, spaces, capitals, unicode or the full 63 bytes are quoted by
`sql.Identifier`, never by string formatting, and every statement is one line of printable
text (`render`). Each fix is one statement, because
`CREATE INDEX CONCURRENTLY` cannot share a transaction with anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from psycopg import sql

from fkaudit.catalog.model import Table
from fkaudit.escape import printable_sql


def render(statement: sql.Composable) -> str:
    """The statement as one line of text (no connection needed), terminated by a semicolon.

    Names and values holding line breaks or other control characters are spelled with escapes
    (`printable_sql`), so the statement can be printed, quoted and commented out safely.
    """
    return printable_sql(statement.as_string(None) + ";")


def table_name(table: Table) -> sql.Identifier:
    return sql.Identifier(table.schema, table.name)


# Fixed keyword fragments of the statements rendered thousands of times per run, built once.
_CREATE_INDEX = sql.SQL("CREATE INDEX IF NOT EXISTS ")
_CREATE_INDEX_CONCURRENTLY = sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS ")
_ON, _USING, _OPEN, _CLOSE, _COMMA = (sql.SQL(t) for t in (" ON ", " USING ", " (", ")", ", "))
_COLLATE = sql.SQL(" COLLATE ")
_ALTER_TABLE, _RENAME, _TO = (sql.SQL(t) for t in ("ALTER TABLE ", " RENAME CONSTRAINT ", " TO "))


def _identifiers(names: Sequence[str]) -> list[sql.Composable]:
    """`"a", "b"` as flat parts (a nested Composed per list renders measurably slower)."""
    parts: list[sql.Composable] = []
    for name in names:
        if parts:
            parts.append(_COMMA)
        parts.append(sql.Identifier(name))
    return parts


def create_index(
    table: Table,
    name: str,
    columns: Sequence[str],
    method: str | None = None,
    collations: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """An index the RI lookup can search, built without blocking writes where possible.

    `collations` gives a column the (schema, name) of the collation the lookup compares it in,
    when that is not the column's own. IF NOT EXISTS with a deterministic name makes a
    migration safe to re-run. Partitioned
    tables do not accept CONCURRENTLY: the plain statement creates the index on every
    partition in one go, holding a SHARE lock on each while it builds. (Composed from parts
    rather than through `SQL.format`, which parses the template each time: thousands of these
    are rendered per run.)
    """
    parts: list[sql.Composable] = [
        _CREATE_INDEX if table.is_partitioned else _CREATE_INDEX_CONCURRENTLY,
        sql.Identifier(name),
        _ON,
        table_name(table),
    ]
    if method:
        parts += [_USING, sql.Identifier(method)]
    keys = _identifiers(columns)
    if collations:
        keys = []
        for column in columns:
            if keys:
                keys.append(_COMMA)
            keys.append(sql.Identifier(column))
            if column in collations:
                keys += [_COLLATE, sql.Identifier(*collations[column])]
    return render(sql.Composed([*parts, _OPEN, *keys, _CLOSE]))


def drop_index(table: Table, name: str) -> str:
    if table.is_partitioned:  # DROP INDEX CONCURRENTLY refuses partitioned indexes
        return render(sql.SQL("DROP INDEX {}").format(sql.Identifier(table.schema, name)))
    return render(sql.SQL("DROP INDEX CONCURRENTLY {}").format(sql.Identifier(table.schema, name)))


def _alter_constraint(table: Table, verb: str, constraint: str, suffix: str = "") -> str:
    """`ALTER TABLE t <verb> <constraint><suffix>`; verb and suffix are fixed keywords."""
    return render(
        sql.SQL("ALTER TABLE {table} {verb} {constraint}{suffix}").format(
            table=table_name(table),
            verb=sql.SQL(verb),
            constraint=sql.Identifier(constraint),
            suffix=sql.SQL(suffix),
        )
    )


def validate_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "VALIDATE CONSTRAINT", constraint)


def drop_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "DROP CONSTRAINT", constraint)


def enforce_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "ALTER CONSTRAINT", constraint, " ENFORCED")


def enable_trigger(table: Table, trigger: str) -> str:
    return render(
        sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(
            table_name(table), sql.Identifier(trigger)
        )
    )


def rename_constraint(table: Table, old: str, new: str) -> str:
    return render(
        sql.Composed(
            [
                _ALTER_TABLE,
                table_name(table),
                _RENAME,
                sql.Identifier(old),
                _TO,
                sql.Identifier(new),
            ]
        )
    )


def make_not_null(table: Table, validate: Sequence[str], columns: Sequence[str]) -> str:
    """Make columns NOT NULL in one statement: VALIDATE the NOT VALID constraints that already
    reject NULL in some of them, SET NOT NULL for the others.

    VALIDATE alone scans under SHARE UPDATE EXCLUSIVE, so writes go on (the reason such a
    constraint is added NOT VALID); SET NOT NULL takes ACCESS EXCLUSIVE for its scan.
    """
    clauses = [sql.SQL("VALIDATE CONSTRAINT {}").format(sql.Identifier(c)) for c in validate]
    clauses += [sql.SQL("ALTER COLUMN {} SET NOT NULL").format(sql.Identifier(c)) for c in columns]
    return render(
        sql.SQL("ALTER TABLE {} {}").format(table_name(table), sql.SQL(", ").join(clauses))
    )


def alter_column_type(table: Table, column: str, type_name: str) -> str:
    """Retype a column to a type as `format_type()` printed it (server text, not user input)."""
    return render(
        sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {}").format(
            table_name(table), sql.Identifier(column), sql.SQL(type_name)
        )
    )


def grant_select(tables: Sequence[Table], role: str) -> str:
    """The GRANT a read-only check needs: named in permission errors, never run by fkaudit."""
    return render(
        sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.SQL(", ").join(table_name(t) for t in tables), sql.Identifier(role)
        )
    )


def grant_usage(schema: str, role: str) -> str:
    return render(
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
            sql.Identifier(schema), sql.Identifier(role)
        )
    )
