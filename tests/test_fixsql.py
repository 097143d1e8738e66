"""The hot fix statements, joined from names quoted one at a time, read exactly as statements
composed whole through `psycopg.sql` (no server needed; tests/test_hostile_names.py runs them).

`create_index`, `rename_constraint`, `make_not_null` and the `ALTER TABLE ... CONSTRAINT`
statements are written tens of thousands of times per run, so they join `sql.Identifier`'s
quoting of each name with fixed keywords instead of composing a `sql.Composed` each time.
"""

from __future__ import annotations

import pytest
from psycopg import sql

from fkaudit.catalog.model import Table
from fkaudit.fixsql import (
    add_foreign_key,
    create_index,
    drop_constraint,
    enforce_constraint,
    make_not_null,
    quoted,
    rename_constraint,
    render,
    validate_constraint,
)

NAMES = [
    "plain",
    "Mixed Case",
    'with "quotes"',
    "semi;colon -- comment",
    "new\nline",
    "tab\there",
    "bell\x07",
    "uni\u2028code ö 😀",
    "back\\slash",
    "x" * 63,
]


def _table(schema: str, name: str, relkind: str = "r") -> Table:
    return Table(1, schema, name, relkind, None, 0, 0, ())


def _composed(template: str, *parts: sql.Composable) -> str:
    return render(sql.SQL(template).format(*parts))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("relkind", ["r", "p"])
def test_create_index_reads_as_composed(name: str, relkind: str) -> None:
    table = _table(name, f"t {name}", relkind)
    columns = [name, "b"]
    verb = "CREATE INDEX" if relkind == "p" else "CREATE INDEX CONCURRENTLY"
    expected = _composed(
        verb + " IF NOT EXISTS {} ON {} USING {} ({} COLLATE {}, {})",
        sql.Identifier(f"i {name}"),
        sql.Identifier(table.schema, table.name),
        sql.Identifier("gist"),
        sql.Identifier(name),
        sql.Identifier("pg_catalog", name),
        sql.Identifier("b"),
    )
    found = create_index(table, f"i {name}", columns, "gist", {name: ("pg_catalog", name)})
    assert found == expected
    assert found.isprintable()
    plain = create_index(table, "i", ["a"])
    assert plain == _composed(
        verb + " IF NOT EXISTS {} ON {} ({})",
        sql.Identifier("i"),
        sql.Identifier(table.schema, table.name),
        sql.Identifier("a"),
    )


@pytest.mark.parametrize("name", NAMES)
def test_constraint_statements_read_as_composed(name: str) -> None:
    table = _table(name, name)
    target = sql.Identifier(name, name)
    assert rename_constraint(table, name, f"new {name}") == _composed(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
        target,
        sql.Identifier(name),
        sql.Identifier(f"new {name}"),
    )
    for write, clause in [
        (validate_constraint, "VALIDATE CONSTRAINT {}"),
        (drop_constraint, "DROP CONSTRAINT {}"),
        (enforce_constraint, "ALTER CONSTRAINT {} ENFORCED"),
    ]:
        assert write(table, name) == _composed(
            "ALTER TABLE {} " + clause, target, sql.Identifier(name)
        )
    assert make_not_null(table, [name], [name, "b"]) == _composed(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}, ALTER COLUMN {} SET NOT NULL, "
        "ALTER COLUMN {} SET NOT NULL",
        target,
        sql.Identifier(name),
        sql.Identifier(name),
        sql.Identifier("b"),
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("not_valid", [True, False])
def test_add_foreign_key_reads_as_composed(name: str, not_valid: bool) -> None:
    child, parent = _table(name, f"c {name}"), _table("p", name)
    assert add_foreign_key(child, f"fk {name}", name, parent, "id", not_valid) == _composed(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})"
        + (" NOT VALID" if not_valid else ""),
        sql.Identifier(child.schema, child.name),
        sql.Identifier(f"fk {name}"),
        sql.Identifier(name),
        sql.Identifier(parent.schema, parent.name),
        sql.Identifier("id"),
    )


def test_quoted_is_identifier_quoting() -> None:
    for name in NAMES:
        assert quoted(name) == sql.Identifier(name).as_string(None)
