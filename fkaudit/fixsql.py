"""Fix statements, composed with `psycopg.sql` so that they run as printed for any identifier.

Names with quotes, spaces, capitals, unicode or the full 63 bytes are quoted by
`sql.Identifier`, never by string formatting, and every statement is one line of printable
text (`render`). Each fix is one statement, because
`CREATE INDEX CONCURRENTLY` cannot share a transaction with anything else.

psycopg is imported on first use: `fkaudit rules` and `fkaudit --help` import the rules, which
import this module, and loading psycopg cost them 0.15 s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from fkaudit.catalog.model import Table
from fkaudit.escape import printable_sql

if TYPE_CHECKING:
    from psycopg import sql


def render(statement: sql.Composable) -> str:
    """The statement as one line of text (no connection needed), terminated by a semicolon.

    Names and values holding line breaks or other control characters are spelled with escapes
    (`printable_sql`), so the statement can be printed, quoted and commented out safely.
    """
    return printable_sql(statement.as_string(None) + ";")


def table_name(table: Table) -> sql.Identifier:
    from psycopg import sql

    return sql.Identifier(table.schema, table.name)


@lru_cache(maxsize=4096)
def quoted(name: str) -> str:
    """`name` as `sql.Identifier` quotes it, memoised: a run of 100,000 foreign keys writes
    tens of thousands of fixes, and their schemas and common column names repeat.

    The hot statements (`create_index`, `rename_constraint`, `make_not_null`) are these quoted
    names joined by fixed keywords: composing each through `sql.Composed` and `SQL.format`
    cost half of FK101's time.
    """
    return _identifier()(name).as_string(None)


@lru_cache(maxsize=1)
def _identifier() -> type[sql.Identifier]:
    from psycopg import sql

    return sql.Identifier


def quoted_table(table: Table) -> str:
    """`"schema"."table"`, as `sql.Identifier(schema, table)` writes it."""
    return f"{quoted(table.schema)}.{quoted(table.name)}"


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
    partition in one go, holding a SHARE lock on each while it builds.
    """
    keys = []
    for column in columns:
        key = quoted(column)
        if collations and column in collations:
            schema, collation = collations[column]
            key = f"{key} COLLATE {quoted(schema)}.{quoted(collation)}"
        keys.append(key)
    verb = "CREATE INDEX" if table.is_partitioned else "CREATE INDEX CONCURRENTLY"
    using = f" USING {quoted(method)}" if method else ""
    return printable_sql(
        f"{verb} IF NOT EXISTS {quoted(name)} ON {quoted_table(table)}{using} ({', '.join(keys)});"
    )


def drop_index(table: Table, name: str) -> str:
    from psycopg import sql

    if table.is_partitioned:  # DROP INDEX CONCURRENTLY refuses partitioned indexes
        return render(sql.SQL("DROP INDEX {}").format(sql.Identifier(table.schema, name)))
    return render(sql.SQL("DROP INDEX CONCURRENTLY {}").format(sql.Identifier(table.schema, name)))


def _alter_constraint(table: Table, verb: str, constraint: str, suffix: str = "") -> str:
    """`ALTER TABLE t <verb> <constraint><suffix>`; verb and suffix are fixed keywords."""
    return printable_sql(f"ALTER TABLE {quoted_table(table)} {verb} {quoted(constraint)}{suffix};")


def validate_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "VALIDATE CONSTRAINT", constraint)


def drop_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "DROP CONSTRAINT", constraint)


def enforce_constraint(table: Table, constraint: str) -> str:
    return _alter_constraint(table, "ALTER CONSTRAINT", constraint, " ENFORCED")


def enable_trigger(table: Table, trigger: str) -> str:
    from psycopg import sql

    return render(
        sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(
            table_name(table), sql.Identifier(trigger)
        )
    )


def rename_constraint(table: Table, old: str, new: str) -> str:
    return printable_sql(
        f"ALTER TABLE {quoted_table(table)} RENAME CONSTRAINT {quoted(old)} TO {quoted(new)};"
    )


def add_foreign_key(
    table: Table, name: str, column: str, referenced: Table, key: str, not_valid: bool
) -> str:
    """A one-column foreign key (FK502's suggestion), NOT VALID when it is to be validated by a
    second statement."""
    return printable_sql(
        f"ALTER TABLE {quoted_table(table)} ADD CONSTRAINT {quoted(name)} FOREIGN KEY "
        f"({quoted(column)}) REFERENCES {quoted_table(referenced)} ({quoted(key)})"
        + (" NOT VALID;" if not_valid else ";")
    )


def make_not_null(table: Table, validate: Sequence[str], columns: Sequence[str]) -> str:
    """Make columns NOT NULL in one statement: VALIDATE the NOT VALID constraints that already
    reject NULL in some of them, SET NOT NULL for the others.

    VALIDATE alone scans under SHARE UPDATE EXCLUSIVE, so writes go on (the reason such a
    constraint is added NOT VALID); SET NOT NULL takes ACCESS EXCLUSIVE for its scan.
    """
    clauses = [f"VALIDATE CONSTRAINT {quoted(c)}" for c in validate]
    clauses += [f"ALTER COLUMN {quoted(c)} SET NOT NULL" for c in columns]
    return printable_sql(f"ALTER TABLE {quoted_table(table)} {', '.join(clauses)};")


def alter_column_type(table: Table, column: str, type_name: str) -> str:
    """Retype a column to a type as `format_type()` printed it (server text, not user input)."""
    from psycopg import sql

    return render(
        sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE {}").format(
            table_name(table), sql.Identifier(column), sql.SQL(type_name)
        )
    )


def grant_select(tables: Sequence[Table], role: str) -> str:
    """The GRANT a read-only check needs: named in permission errors, never run by fkaudit."""
    from psycopg import sql

    return render(
        sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.SQL(", ").join(table_name(t) for t in tables), sql.Identifier(role)
        )
    )


def grant_usage(schema: str, role: str) -> str:
    from psycopg import sql

    return render(
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
            sql.Identifier(schema), sql.Identifier(role)
        )
    )
