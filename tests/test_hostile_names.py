"""Names and row values written by an attacker cannot turn fkaudit's output into code.

A constraint, table, column or database name, and an orphan row's key, may hold line breaks,
carriage returns, `*/`, `$$`, backslashes and psql meta-commands. The `fix` script is applied
with psql, and the table format is what a CI log shows, so each must keep such text inside a
comment or a quoted token: the script still runs to the end and fixes the right objects, and no
output line starts where the attacker wanted it to.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

import fkaudit
from fkaudit.cli import main
from fkaudit.escape import printable, printable_sql
from fkaudit.reporters import FORMATS
from tests.conftest import drop_database
from tests.test_fix import apply, statements

BREAKOUT = "\nDROP TABLE victim;\n--"
# Everything that could end a comment, open a block, or be read by psql rather than the server.
HOSTILE = [
    f"fk_nl{BREAKOUT}",
    "fk_cr\rDROP TABLE victim;\r--",
    "fk_crlf\r\nDROP TABLE victim;--*/$$\\! touch {marker}\r\n",
    "fk_gh\n::error file=x::injected",
    "fk_bs\\\n\\! touch {marker}\n\\gexec",
    "fk_sep\u2028DROP TABLE victim;\u0085--\x1b[2J",
    'fk_quote"\n);DROP TABLE victim;--',
]


def _names(marker: Path) -> list[str]:
    return [name.replace("{marker}", str(marker)) for name in HOSTILE]


def _hostile_schema(conn: psycopg.Connection[Any], marker: Path) -> None:
    """One child table per hostile name (the table, its key column and its FK named with it),
    each with an unindexed key, plus a NOT VALID key over an orphan whose value is hostile."""
    conn.execute("CREATE TABLE victim (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    for i, name in enumerate(_names(marker)):
        table, column = sql.Identifier(f"t{i}{name}"), sql.Identifier(f"c{name}")
        conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, {} int)").format(table, column))
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES parent").format(
                table, sql.Identifier(name), column
            )
        )
    conn.execute("CREATE TABLE tp (id text PRIMARY KEY)")
    conn.execute("CREATE TABLE tc (id int PRIMARY KEY, p text)")
    conn.execute("CREATE INDEX ON tc (p)")
    conn.execute("INSERT INTO tc VALUES (2, %s)", (f"zz{BREAKOUT}\r\\! touch {marker}\n*/$$",))
    conn.execute("ALTER TABLE tc ADD CONSTRAINT tc_p_fk FOREIGN KEY (p) REFERENCES tp NOT VALID")


@pytest.fixture
def marker() -> Iterator[Path]:
    """A file a hijacked script would create (short: names are cut to 63 bytes)."""
    path = Path(tempfile.gettempdir()) / "fkaudit-PWNED"
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_fix_script_cannot_be_hijacked(
    conn: psycopg.Connection[Any], db: str, tmp_path: Path, marker: Path
) -> None:
    _hostile_schema(conn, marker)
    before = fkaudit.audit(db).findings
    result = CliRunner().invoke(main, ["fix", db])
    assert result.exit_code == 1, result.output
    for line in result.output.splitlines():
        assert line.isprintable(), repr(line)
        assert line == "" or line.startswith(("--", "CREATE INDEX", "ALTER TABLE")), line

    applied = apply(db, result.output, tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert conn.execute("SELECT to_regclass('victim') IS NOT NULL").fetchone() == (True,)
    assert not marker.exists()
    assert "tc_p_fk" not in "".join(statements(result.output))  # orphans: VALIDATE held back

    # The statements fixed the hostile objects themselves: their FK101 findings are gone.
    after = fkaudit.audit(db).findings
    fixed = {(f.code, f.table, f.constraint) for f in before if f.fix and f.code != "FK401"}
    assert {(f.code, f.table, f.constraint) for f in before if f.code == "FK101"} <= fixed
    assert not fixed & {(f.code, f.table, f.constraint) for f in after}
    assert len([f for f in before if f.code == "FK101"]) == len(HOSTILE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_lets_a_name_start_a_line(
    conn: psycopg.Connection[Any], db: str, marker: Path, fmt: str
) -> None:
    _hostile_schema(conn, marker)
    result = CliRunner().invoke(main, ["check", db, "--format", fmt])
    assert result.exit_code == 1, result.output
    for line in result.stdout.splitlines():
        assert line.isprintable(), repr(line)
        assert not line.lstrip().startswith(("DROP TABLE", "::error file=x", "\\!", "\\gexec"))
        if fmt != "github":
            assert not line.startswith("::"), line
    if fmt in ("json", "sarif"):  # escaped as JSON: machines still get the exact names
        document = json.loads(result.stdout)
        if fmt == "json":
            reported = {f["constraint"] for f in document["findings"]}
        else:
            reported = {r["properties"]["constraint"] for r in document["runs"][0]["results"]}
        stored = conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'").fetchall()
        assert {name for (name,) in stored} <= reported


def test_a_hostile_database_name_stays_in_its_comment(
    server_dsn: str, tmp_path: Path, marker: Path
) -> None:
    name = f"fkaudit_hostile{BREAKOUT}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = psycopg.conninfo.make_conninfo(server_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE victim (id int PRIMARY KEY)")
            conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
            conn.execute("CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent)")
            result = CliRunner().invoke(main, ["fix", dsn])
            assert all(line.isprintable() for line in result.output.splitlines())
            assert apply(dsn, result.output, tmp_path).returncode == 0
            assert conn.execute("SELECT to_regclass('victim') IS NOT NULL").fetchone() == (True,)
    finally:
        drop_database(server_dsn, dsn)


@pytest.mark.parametrize("conforming", ["on", "off"])
def test_escaped_spellings_mean_the_same_to_the_server(
    conn: psycopg.Connection[Any], marker: Path, conforming: str
) -> None:
    """U&"..." identifiers and E'...' strings round-trip every hostile text exactly."""
    conn.execute(sql.SQL("SET standard_conforming_strings = {}").format(sql.SQL(conforming)))
    for text in [*_names(marker), "plain", "tab\there", "astral\U000e0001", "back\\slash'"]:
        statement = sql.SQL("SELECT {} AS {}").format(sql.Literal(text), sql.Identifier(text))
        spelled = printable_sql(statement.as_string(conn))
        assert spelled.isprintable()
        cursor = conn.execute(spelled.encode())
        assert cursor.fetchone() == (text,)
        assert cursor.description is not None and cursor.description[0].name == text


def test_printable_shows_every_control_character() -> None:
    assert printable("a\nb\rc\td\x1be\x7f\x85\u2028\u202e") == (
        "a\\nb\\rc\\td\\x1be\\x7f\\x85\\u2028\\u202e"
    )
    assert printable("ünïcode 😀 ok") == "ünïcode 😀 ok"
    with pytest.raises(ValueError):
        printable_sql("SELECT 1;\nDROP TABLE victim;")  # raw text outside any quoted token
