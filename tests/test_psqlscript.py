"""Reading a psql script as data, without a server: where statements end, what is a meta-command.

A wrong split is at worst a statement the server rejects, but a missed meta-command would be a
command fkaudit refuses to run slipping through, and a wrong line number points the user at the
wrong place. tests/test_schema_file_trust.py runs hostile files end to end; these check the
reader's decisions one construct at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fkaudit.psqlscript import Connect, CopyIn, Encoding, ScriptError, Statement, Step, read_script

FILE = Path("schema.sql")


def steps(text: str) -> tuple[Step, ...]:
    return read_script(FILE, text).steps


def statements(text: str) -> list[str]:
    """The statements' text, checking every step is a plain statement."""
    found = []
    for step in steps(text):
        assert isinstance(step, Statement), step
        found.append(step.text.decode("latin-1"))
    return found


def refusal(text: str) -> str:
    with pytest.raises(ScriptError) as raised:
        read_script(FILE, text)
    return str(raised.value)


def test_statements_end_at_semicolons_with_their_first_line() -> None:
    script = "-- a comment\nCREATE TABLE a (id int);\n\n  CREATE TABLE b (\n  x text\n);\n"
    assert steps(script) == (
        Statement(2, b"CREATE TABLE a (id int);"),
        Statement(4, b"CREATE TABLE b (\n  x text\n);"),
    )


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 'a;b';",
        "SELECT 'it''s; here';",
        "SELECT E'a\\';b';",
        'SELECT "semi;colon" FROM t;',
        "SELECT U&'\\0041;' ;",
        "DO $$ BEGIN PERFORM 1; END $$;",
        "DO $body$ BEGIN RAISE NOTICE '$$;'; END $body$;",
        "SELECT 1 /* ; /* nested ; */ still ; */ + 1;",
        "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO u VALUES (1); DELETE FROM v);",
        "SELECT 'first;'\n  'continued;';",
        "SELECT a$b$c FROM t;",
    ],
    ids=[
        "string",
        "doubled quote",
        "escape string",
        "quoted identifier",
        "unicode string",
        "dollar quote",
        "tagged dollar quote",
        "nested comments",
        "parentheses",
        "string continued on the next line",
        "identifier holding dollars",
    ],
)
def test_a_semicolon_inside_a_token_does_not_end_the_statement(statement: str) -> None:
    assert statements(statement + "\nSELECT 2;") == [statement, "SELECT 2;"]


def test_sql_standard_function_bodies_are_one_statement() -> None:
    body = (
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;"
    )
    assert statements(body + "\nSELECT 3;") == [body, "SELECT 3;"]
    # Outside such a head, BEGIN is a transaction and its `;` ends it.
    assert statements("BEGIN;\nCOMMIT;") == ["BEGIN;", "COMMIT;"]


def test_standard_conforming_strings_off_makes_backslash_escape_in_plain_strings() -> None:
    script = "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\nSELECT 2;"
    assert statements(script)[1:] == ["SELECT 'a\\';b';", "SELECT 2;"]
    # On (the default), the backslash is an ordinary character and the quote ends the string.
    assert statements("SELECT 'a\\';\nSELECT 2;") == ["SELECT 'a\\';", "SELECT 2;"]


def test_a_last_statement_without_semicolon_is_kept() -> None:
    assert steps("SELECT 1;\nSELECT 2") == (Statement(1, b"SELECT 1;"), Statement(2, b"SELECT 2"))


def test_copy_data_is_read_up_to_its_terminator() -> None:
    script = "COPY t (a, b) FROM stdin;\n1\tx\n2\t\\N\n\\.\nSELECT 1;\n"
    assert steps(script) == (
        CopyIn(1, b"COPY t (a, b) FROM stdin;", b"1\tx\n2\t\\N\n", 2),
        Statement(5, b"SELECT 1;"),
    )
    # A data line that looks like SQL or a meta-command is data.
    (copy,) = steps("COPY t FROM STDIN;\nSELECT 1;\n\\! ls\n\\.\n")
    assert isinstance(copy, CopyIn) and copy.data == b"SELECT 1;\n\\! ls\n"
    # COPY ... TO stdout and COPY from a file have no data lines.
    assert statements("COPY t TO stdout;\nSELECT 1;") == ["COPY t TO stdout;", "SELECT 1;"]


def test_copy_data_whose_end_is_ambiguous_is_refused() -> None:
    assert refusal("COPY t FROM stdin;\n1\n\\.x\n\\.\n") == (
        "schema.sql:3: COPY data line starting with \\. but not \\. alone: where the data "
        "ends is ambiguous"
    )
    assert refusal("COPY t FROM stdin; SELECT 1;\n\\.\n").startswith(
        "schema.sql:1: text after COPY ... FROM stdin; on the same line"
    )


def test_pg_dumps_meta_commands_are_read() -> None:
    script = (
        "\\restrict AbC123\n"
        "\\encoding UTF8\n"
        "CREATE DATABASE shop;\n"
        "\\connect shop\n"
        "\\connect -reuse-previous=on \"dbname='it\\'s my db'\"\n"
        '\\c "quoted ""name"""\n'
        "\\unrestrict AbC123\n"
    )
    assert steps(script) == (
        Encoding(2, "UTF8"),
        Statement(3, b"CREATE DATABASE shop;"),
        Connect(4, "shop"),
        Connect(5, "it's my db"),
        Connect(6, 'quoted "name"'),
    )


@pytest.mark.parametrize(
    ("script", "line", "reason"),
    [
        ("SELECT 1;\n\\! touch /tmp/x\n", 2, "psql meta-command \\! refused"),
        ("\\o |cat\n", 1, "psql meta-command \\o refused"),
        ("\\i other.sql\n", 1, "give several files with --migrations DIR"),
        ("\\copy t from program 'id'\n", 1, "psql meta-command \\copy refused"),
        ("SELECT 1\n\\gexec\n", 2, "psql meta-command \\gexec inside a statement"),
        ("SELECT (\n\\! id\n);\n", 2, "inside a statement"),
        ('\\connect "host=evil dbname=x"\n', 1, "may name a database only"),
        ("\\connect host=evil dbname=x\n", 1, "takes one database name"),
        ("\\connect db extra\n", 1, "takes one database name"),
        ("\\connect -\n", 1, "takes one database name"),
        ("\\encoding UTF8; \\! id\n", 1, "\\encoding takes one plain word"),
        ("\\restrict a b\n", 1, "\\restrict takes one plain word"),
    ],
    ids=[
        "shell",
        "pipe",
        "include",
        "client-side copy",
        "gexec ending a statement",
        "inside parentheses",
        "connect elsewhere",
        "connect with settings unquoted",
        "connect with more",
        "connect to the previous",
        "encoding with more",
        "restrict with more",
    ],
)
def test_other_meta_commands_are_refused_at_their_line(script: str, line: int, reason: str) -> None:
    message = refusal(script)
    assert message.startswith(f"schema.sql:{line}: "), message
    assert reason in message, message


@pytest.mark.parametrize(
    "script",
    [
        "SELECT '\\! not a command';",
        "SELECT E'\\\\! still a string';",
        "SELECT $$\\! in a dollar quote$$;",
        "-- \\! in a comment\nSELECT 1;",
        "/* \\! in a comment */ SELECT 1;",
        'SELECT 1 AS "\\!";',
    ],
)
def test_a_backslash_inside_a_token_is_no_meta_command(script: str) -> None:
    assert all(isinstance(step, Statement) for step in steps(script))
