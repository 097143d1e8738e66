"""A schema file is data: no psql meta-command in it runs on this machine (issue 10, part 6).

Each refused file holds `\\! touch MARKER` (or another way to reach a shell or a file) somewhere
psql would see it as a command; fkaudit must stop with `file:line`, exit 2, and the marker must
never appear. Text that only looks like a command (inside strings, comments, dollar quotes,
quoted identifiers, COPY data) is SQL or data and loads. Real pg_dump output, from every pg_dump
binary at hand, still loads with the audit finding what the source database holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from psycopg import conninfo, sql

from fkaudit.cli import main
from fkaudit.errors import FkauditError
from fkaudit.server import embedded_bindir


def matrix_bindir() -> list[str]:
    """The suite's server binaries (FKAUDIT_TEST_PG_BINDIR) for fkaudit's own server too."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


PARENT_CHILD = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\n"


def audit(*args: str) -> tuple[Result, set[str]]:
    result = CliRunner().invoke(main, ["check", *args, "--select", "FK101", "--format", "json"])
    if result.exit_code not in (0, 1):
        return result, set()
    findings = json.loads(result.stdout)["findings"]
    return result, {f"{f['schema']}.{f['table']}.{f['constraint']}" for f in findings}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("utf-8"))


# (files, where the command is: "file:line", the command psql would have run)
HIDDEN = [
    pytest.param({"x.sql": PARENT_CHILD + "\\! touch MARKER\n"}, "x.sql:3", "\\!", id="column 0"),
    pytest.param(
        {"x.sql": "CREATE TABLE p (id int PRIMARY KEY); \\! touch MARKER\n"},
        "x.sql:1",
        "\\!",
        id="after a statement on its line",
    ),
    pytest.param(
        {"x.sql": "SELECT 1 \\! touch MARKER\n;\n"}, "x.sql:1", "\\!", id="inside a statement"
    ),
    pytest.param(
        {
            "x.sql": "-- a comment \\! not this one\n/* outer /* inner */ still */"
            " \\! touch MARKER\n"
        },
        "x.sql:2",
        "\\!",
        id="after nested and dash comments",
    ),
    pytest.param(
        {"x.sql": PARENT_CHILD + "SELECT 'it''s', E'\\'', \"a\"\"b\" \\! touch MARKER\n"},
        "x.sql:3",
        "\\!",
        id="after strings holding quotes",
    ),
    pytest.param(
        {"x.sql": "SELECT 'a\\' \\! touch MARKER';\n"},
        "x.sql:1",
        "\\!",
        id="a backslash ends no standard string",
    ),
    pytest.param(
        {"x.sql": "SELECT 'a'\n  'b' AS x, 1e'\\'' \\! touch MARKER\n"},
        "x.sql:2",
        "\\!",
        id="after a continued string and an E string after a number",
    ),
    pytest.param(
        {"x.sql": "DO $b$ BEGIN PERFORM 1; END $b$;\nSELECT $$x$$ \\! touch MARKER\n"},
        "x.sql:2",
        "\\!",
        id="after dollar quotes",
    ),
    pytest.param(
        {"x.sql": "SELECT 1 AS a$b$ \\! touch MARKER\n"},
        "x.sql:1",
        "\\!",
        id="a$b$ is an identifier, not a dollar quote",
    ),
    pytest.param(
        {
            "x.sql": "CREATE TABLE t (v text);\nCOPY t (v) FROM stdin;\n\\!x\n\\.\n"
            "\\! touch MARKER\n"
        },
        "x.sql:5",
        "\\!",
        id="after COPY data",
    ),
    pytest.param(
        {
            "m/001_a.sql": "CREATE TABLE p (id int PRIMARY KEY);\n",
            "m/002_b.sql": "CREATE TABLE c (p_id int REFERENCES p);\n\n\\! touch MARKER\n"
            "CREATE INDEX ON c (p_id);\n",
            "m/003_c.sql": "SELECT 1;\n",
        },
        "002_b.sql:3",
        "\\!",
        id="between statements of a migration",
    ),
    pytest.param({"x.sql": "SELECT 'touch MARKER' \\gexec\n"}, "x.sql:1", "\\gexec", id="gexec"),
    pytest.param({"x.sql": "SELECT 1 \\g |touch MARKER\n"}, "x.sql:1", "\\g", id="g pipe"),
    pytest.param({"x.sql": "\\o |touch MARKER\nSELECT 1;\n"}, "x.sql:1", "\\o", id="o pipe"),
    pytest.param(
        {"x.sql": PARENT_CHILD + "\\copy p from program 'touch MARKER'\n"},
        "x.sql:3",
        "\\copy",
        id="copy program",
    ),
    pytest.param({"x.sql": "\\w MARKER\n"}, "x.sql:1", "\\w", id="w file"),
    pytest.param({"x.sql": "\\setenv PAGER 'touch MARKER'\n"}, "x.sql:1", "\\setenv", id="setenv"),
    pytest.param({"x.sql": "\\set x `touch MARKER`\n"}, "x.sql:1", "\\set", id="set backtick"),
    pytest.param({"x.sql": "\\cd /\n"}, "x.sql:1", "\\cd", id="cd"),
    pytest.param({"x.sql": "SELECT 1\\; SELECT 2;\n"}, "x.sql:1", "\\;", id="psql joiner"),
    pytest.param({"x.sql": "\\\\ \\! touch MARKER\n"}, "x.sql:1", "\\\\", id="double backslash"),
    pytest.param(
        {"x.sql": "\\connect `touch MARKER`\n"},
        "x.sql:1",
        "\\connect",
        id="connect with a backtick",
    ),
    pytest.param(
        {"x.sql": "\\connect fkaudit \\! touch MARKER\n"},
        "x.sql:1",
        "\\connect",
        id="a second command after connect",
    ),
    pytest.param(
        {"x.sql": '\\connect "host=/tmp dbname=x"\n'},
        "x.sql:1",
        "\\connect",
        id="connect elsewhere",
    ),
    pytest.param(
        {"x.sql": "\\restrict abc \\! touch MARKER\n"},
        "x.sql:1",
        "\\restrict",
        id="a second command after restrict",
    ),
]


@pytest.mark.parametrize(("files", "where", "command"), HIDDEN)
def test_meta_commands_are_refused_wherever_they_hide(
    files: dict[str, str], where: str, command: str, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    _write(tmp_path, {name: text.replace("MARKER", str(marker)) for name, text in files.items()})
    target = (
        ["--schema-file", str(tmp_path / "x.sql")]
        if "x.sql" in files
        else ["--migrations", str(tmp_path / "m")]
    )
    result = CliRunner().invoke(main, ["check", *target])
    assert result.exit_code == 2, result.output
    head, _, why = result.output.partition(f"/{where}: ")
    assert head.startswith("fkaudit: error: ") and why.split()[:4].count(command) == 1, (
        result.output
    )
    assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output
    assert not marker.exists()


# Each looks like a command to a reader that ignores SQL quoting; psql would not run any.
NOT_COMMANDS = (
    PARENT_CHILD
    + "COMMENT ON TABLE p IS 'run \\! touch MARKER';\n"
    + "COMMENT ON TABLE c IS E'a \\'quoted\\' \\\\ then \\! touch MARKER';\n"
    + "-- \\! touch MARKER\n/* /* \\! touch MARKER */ \\! touch MARKER */\n"
    + "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $fn$ SELECT '\\! touch MARKER' $fn$;\n"
    + 'CREATE TABLE "\\! touch MARKER" (v text);\n'
    + 'COPY "\\! touch MARKER" (v) FROM stdin;\n\\\\! touch MARKER\n\\N\n\\.\n'
    + "SET standard_conforming_strings = off;\n"
    + "SELECT 'a\\' \\! touch MARKER';\n"
)


def test_what_only_looks_like_a_command_loads(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    _write(tmp_path, {"x.sql": NOT_COMMANDS.replace("MARKER", str(marker))})
    result, found = audit("--schema-file", str(tmp_path / "x.sql"))
    assert result.exit_code == 1, result.output
    assert found == {"public.c.c_p_id_fkey"}
    assert not marker.exists()


def test_the_callers_pgoptions_reach_the_files_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A custom setting the dump reads, and a search_path that decides where tables go."""
    _write(
        tmp_path,
        {
            "x.sql": "DO $$ BEGIN IF current_setting('myapp.tenant') <> 'acme' THEN "
            "RAISE EXCEPTION 'tenant %', current_setting('myapp.tenant'); "
            "END IF; END $$;\nCREATE SCHEMA app;\n" + PARENT_CHILD
        },
    )
    monkeypatch.setenv("PGOPTIONS", "-c myapp.tenant=acme -c search_path=app,public")
    result, found = audit("--schema-file", str(tmp_path / "x.sql"))
    assert result.exit_code == 1, result.output
    assert found == {"app.c.c_p_id_fkey"}
    assert os.environ["PGOPTIONS"] == "-c myapp.tenant=acme -c search_path=app,public"


# -- real pg_dump output ----------------------------------------------------------------------

SOURCE = r"""
CREATE ROLE "fkaudit dump owner"; CREATE ROLE fkaudit_dump_reader;
CREATE SCHEMA billing AUTHORIZATION "fkaudit dump owner";
CREATE TABLE customers (id int PRIMARY KEY, name text DEFAULT 'it''s C:\x', note text);
COMMENT ON TABLE customers IS 'two
lines, a \ and a \! that is text';
CREATE TABLE billing.invoices (id int PRIMARY KEY, customer_id int REFERENCES customers);
CREATE TABLE "Order Items" (id int, "Customer" int REFERENCES customers);
CREATE INDEX ON "Order Items" ("Customer");
ALTER TABLE billing.invoices OWNER TO "fkaudit dump owner";
GRANT SELECT ON billing.invoices TO fkaudit_dump_reader;
CREATE FUNCTION billing.f() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN '\'; END $$;
CREATE VIEW v AS SELECT (ARRAY[1, 2, 3])[1:2] AS s, '\'::text AS backslash;
INSERT INTO customers VALUES (1, E'tab\there\\', '\.'), (2, NULL, E'\\.\n\\! x');
INSERT INTO billing.invoices VALUES (1, 1);
"""
SOURCE_DB = 'fk audit\'s "shop"'


def _pg_dumps(server_major: int) -> list[Path]:
    """Every pg_dump at hand that can dump this server: the suite's bindir, the embedded
    wheel's, Debian's /usr/lib/postgresql/N/bin."""
    candidates = (
        [Path(os.environ["FKAUDIT_TEST_PG_BINDIR"])]
        if os.environ.get("FKAUDIT_TEST_PG_BINDIR")
        else []
    )
    with contextlib.suppress(FkauditError):  # the embedded extra is not installed
        candidates.append(embedded_bindir())
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    found: dict[int, Path] = {}
    for bindir in candidates:
        pg_dump = bindir / "pg_dump"
        if not pg_dump.is_file():
            continue
        version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True)
        match = re.search(r"(\d+)\.\d+", version.stdout)
        if match and int(match[1]) >= server_major:
            found.setdefault(int(match[1]), pg_dump)
    return [found[major] for major in sorted(found)]


@pytest.fixture
def source_db(server_dsn: str) -> Iterator[str]:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SOURCE_DB)))
    dsn = conninfo.make_conninfo(server_dsn, dbname=SOURCE_DB)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SOURCE)
        yield dsn
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SOURCE_DB)))
            conn.execute('DROP ROLE IF EXISTS "fkaudit dump owner", fkaudit_dump_reader')


@pytest.mark.parametrize(
    "options",
    [["--schema-only"], ["--create"], []],
    ids=["schema-only", "create with data", "full"],
)
def test_real_pg_dump_output_loads(
    options: list[str], source_db: str, server_version: int, tmp_path: Path
) -> None:
    dumps = _pg_dumps(server_version // 10000)
    if not dumps:
        pytest.skip(f"no pg_dump of major >= {server_version // 10000} at hand")
    for pg_dump in dumps:
        dump = tmp_path / f"{pg_dump.parent.parent.name}.sql"
        subprocess.run([pg_dump, *options, "--file", dump, "--dbname", source_db], check=True)
        text = dump.read_text()
        assert ("\\connect" in text) == ("--create" in options)
        result, found = audit("--schema-file", str(dump))
        assert result.exit_code == 1, (pg_dump, result.output)
        assert found == {"billing.invoices.invoices_customer_id_fkey"}, pg_dump


# -- what only a superuser may do -------------------------------------------------------------


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory the server's account may write to. As root the server runs as `postgres`,
    which cannot enter pytest's private tmp_path: a marker must be creatable there for the test
    to show that fkaudit, not the file system, stops it."""
    path = Path(tempfile.mkdtemp(prefix="fkaudit-marker-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# (SQL after PARENT_CHILD, the line the refusal is reported at). Each would run a shell command
# as the account of the server, which is the invoking user when fkaudit does not run as root,
# write a file, read the user's files, or load code, if the files were applied as a superuser.
SUPERUSER_ONLY = [
    pytest.param("COPY p FROM PROGRAM 'touch MARKER';\n", 3, id="COPY FROM PROGRAM"),
    pytest.param("COPY (SELECT 1) TO PROGRAM 'touch MARKER';\n", 3, id="COPY TO PROGRAM"),
    pytest.param(
        "SELECT 1;\nDO $$\nBEGIN\n  EXECUTE 'COP' || 'Y p FROM PROG' || 'RAM ''touch "
        "MARKER''';\nEND $$;\n",
        4,
        id="COPY PROGRAM hidden in DO and EXECUTE",
    ),
    pytest.param("COPY (SELECT 1) TO 'MARKER';\n", 3, id="COPY TO a file"),
    pytest.param(
        "CREATE TABLE leak (t text);\nCOPY leak FROM '/etc/hostname';\n", 4, id="COPY FROM a file"
    ),
    pytest.param(
        "ALTER SYSTEM SET archive_command = 'touch MARKER';\nSELECT pg_reload_conf();\n",
        3,
        id="ALTER SYSTEM",
    ),
    pytest.param(
        "SELECT lo_from_bytea(4242, 'x');\nSELECT lo_export(4242, 'MARKER');\n", 4, id="lo_export"
    ),
    pytest.param("SELECT lo_import('/etc/hostname');\n", 3, id="lo_import"),
    pytest.param(
        "CREATE TABLE leak AS SELECT pg_read_file('/etc/hostname') AS t;\n", 3, id="pg_read_file"
    ),
    pytest.param(
        "CREATE FUNCTION handler() RETURNS language_handler\n  AS '$libdir/plpgsql', "
        "'plpgsql_call_handler' LANGUAGE c;\n",
        3,
        id="C function",
    ),
    pytest.param(
        "CREATE FUNCTION export(oid, text) RETURNS int LANGUAGE internal\n"
        "  AS 'be_lo_export';\nSELECT lo_from_bytea(4242, 'x');\n"
        "SELECT export(4242, 'MARKER');\n",
        3,
        id="internal function",
    ),
    pytest.param(
        "GRANT pg_execute_server_program TO CURRENT_USER;\nCOPY p FROM PROGRAM 'touch MARKER';\n",
        3,
        id="granting itself the program role",
    ),
    pytest.param(
        "CREATE ROLE root SUPERUSER;\nSET ROLE root;\nCOPY p FROM PROGRAM 'touch MARKER';\n",
        3,
        id="creating a superuser",
    ),
    pytest.param(
        "ALTER ROLE CURRENT_USER SUPERUSER;\nCOPY p FROM PROGRAM 'touch MARKER';\n",
        3,
        id="becoming a superuser",
    ),
]


@pytest.mark.parametrize(("attack", "line"), SUPERUSER_ONLY)
def test_what_only_a_superuser_may_do_is_refused(
    attack: str, line: int, open_dir: Path, tmp_path: Path
) -> None:
    marker = open_dir / "PWNED"
    _write(tmp_path, {"x.sql": PARENT_CHILD + attack.replace("MARKER", str(marker))})
    result = CliRunner().invoke(
        main, ["check", "--schema-file", str(tmp_path / "x.sql"), *matrix_bindir()]
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"fkaudit: error: {tmp_path / 'x.sql'}:{line}: ERROR: ")
    assert result.output.rstrip("\n").endswith(
        ": schema files are applied as an unprivileged role"
    ), result.output
    assert len(result.output.splitlines()) == 1 and "Traceback" not in result.output
    assert not marker.exists()
