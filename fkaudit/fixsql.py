"""Fix statements, composed with `psycopg.sql` so that they run as printed for any identifier.

Names with quotes, spaces, capitals, unicode or the full 63 bytes are quoted by
`sql.Identifier`, never by string formatting. Each fix is one statement, because
`CREATE INDEX CONCURRENTLY` cannot share a transaction with anything else.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from fkaudit.catalog.model import Table


def render(statement: sql.Composable) -> str:
    """The statement as text (no connection needed), terminated by a semicolon."""
    return statement.as_string(None) + ";"


def table_name(table: Table) -> sql.Identifier:
    return sql.Identifier(table.schema, table.name)


def column_list(columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def create_index(table: Table, columns: Sequence[str]) -> str:
    """An index the RI lookup can search, built without blocking writes where possible.

    Partitioned tables do not accept CONCURRENTLY: the plain statement creates the index on
    every partition in one go, holding a SHARE lock on each while it builds.
    """
    if table.is_partitioned:
        template = "CREATE INDEX ON {table} ({columns})"
    else:
        template = "CREATE INDEX CONCURRENTLY ON {table} ({columns})"
    return render(sql.SQL(template).format(table=table_name(table), columns=column_list(columns)))


def rename_constraint(table: Table, old: str, new: str) -> str:
    return render(
        sql.SQL("ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}").format(
            table=table_name(table), old=sql.Identifier(old), new=sql.Identifier(new)
        )
    )


def set_not_null(table: Table, columns: Sequence[str]) -> str:
    clauses = sql.SQL(", ").join(
        sql.SQL("ALTER COLUMN {} SET NOT NULL").format(sql.Identifier(c)) for c in columns
    )
    return render(sql.SQL("ALTER TABLE {} {}").format(table_name(table), clauses))
