"""`--schema-file` and `--migrations`: real dumps and migration folders on a throwaway server.

The fixtures (tests/fixtures/schemas/README.md says where each comes from) are real pg_dump,
Rails and Django output and the usual migration layouts. Each test audits one with FK101 and
compares the unindexed keys with the list in the README, which was checked by hand.
They run on the embedded server (PostgreSQL 18, what `pip install fkaudit[embedded]` gives),
as a pipeline without a database service would; the layouts that any major can load also run
on FKAUDIT_TEST_PG_BINDIR when the matrix sets it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fkaudit.cli import main
from fkaudit.schemafile import migration_files
from fkaudit.server import embedded_bindir

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "schemas"


def audit_fk101(*args: str) -> tuple[Result, set[str]]:
    result = CliRunner().invoke(main, ["check", *args, "--select", "FK101", "--format", "json"])
    if result.exit_code not in (0, 1):
        return result, set()
    findings = json.loads(result.stdout)["findings"]
    return result, {f"{f['schema']}.{f['table']}.{f['constraint']}" for f in findings}


def matrix_bindir() -> list[str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


@pytest.mark.parametrize(
    ("args", "unindexed"),
    [
        pytest.param(
            ["--schema-file", "pg_dump/structure.sql"],
            {
                "billing.invoices.invoices_order_id_fkey",
                "billing.payments.payments_refund_of_fkey",
                "public.Order Items.Order Items_product_id_fkey",
            },
            id="pg_dump with owners, grants and \\restrict",
        ),
        pytest.param(
            ["--schema-file", "rails/structure.sql"],
            {"public.projects.fk_rails_219ef9bf7d", "public.tasks.fk_rails_0016c50613"},
            id="rails structure.sql",
        ),
        pytest.param(
            ["--migrations", "django"],
            {"public.shop_orderline.shop_orderline_product_id_3f3985f6_fk_shop_product_id"},
            id="django sqlmigrate",
        ),
        pytest.param(
            ["--migrations", "prisma/migrations"],
            {"public.Membership.Membership_teamId_fkey", "public.OrderItem.OrderItem_orderId_fkey"},
            id="prisma folders",
        ),
    ],
)
def test_real_dumps(args: list[str], unindexed: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result, found = audit_fk101(*args)
    assert result.exit_code == 1, result.output
    assert found == unindexed


@pytest.mark.parametrize(
    ("folder", "unindexed"),
    [
        ("migrations", {"public.order_lines.order_lines_product_id_fkey"}),
        ("golang-migrate", {"public.order_items.order_items_book_id_fkey"}),
    ],
)
def test_migration_folders_on_every_major(folder: str, unindexed: set[str]) -> None:
    result, found = audit_fk101("--migrations", str(FIXTURES / folder), *matrix_bindir())
    assert result.exit_code == 1, result.output
    assert found == unindexed


def test_migration_order_is_natural_and_skips_down_migrations() -> None:
    names = [p.name for p in migration_files(FIXTURES / "migrations")]
    assert names == ["V1__init.sql", "V2__orders.sql", "V10__order_lines.sql"]
    golang = [p.name for p in migration_files(FIXTURES / "golang-migrate")]
    assert golang == ["000001_init.up.sql", "000002_orders.up.sql"]
    prisma = [p.parent.name for p in migration_files(FIXTURES / "prisma" / "migrations")]
    assert prisma == ["20240101000000_init", "20240102000000_orders"]


def test_sql_error_reports_file_line_and_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = CliRunner().invoke(main, ["check", "--schema-file", "broken/schema.sql"])
    assert result.exit_code == 2
    assert result.output == (
        'fkaudit: error: broken/schema.sql:33: ERROR: type "intt" does not exist\n'
    )
    result = CliRunner().invoke(
        main, ["check", "--migrations", "broken-migrations", *matrix_bindir()]
    )
    assert result.exit_code == 2
    assert result.output == (  # no error position: the first line of the failing statement
        'fkaudit: error: broken-migrations/002_bad.sql:5: ERROR: relation "orders" does not exist\n'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["postgresql://x@localhost/db", "--schema-file", "rails/structure.sql"],
            "give one of DSN, --schema-file and --migrations",
        ),
        (
            ["--schema-file", "rails/structure.sql", "--migrations", "django"],
            "give one of DSN, --schema-file and --migrations",
        ),
        (["--schema-file", "no-such.sql"], "does not exist"),
        (["--migrations", "rails/structure.sql"], "is a file"),
        (["--migrations", "."], None),  # the folder has .sql files under it: that works
        (["--pg-bindir", "/tmp"], "--pg-bindir needs --schema-file or --migrations"),
        (
            ["--schema-file", "rails/structure.sql", "--pg-bindir", "/nonexistent"],
            "no PostgreSQL server binaries in /nonexistent",
        ),
    ],
)
def test_bad_targets_exit_2(
    args: list[str], message: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(FIXTURES)
    if message is None:
        empty = tmp_path / "empty"
        empty.mkdir()
        args, message = ["--migrations", str(empty)], "no .sql files in it"
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_findings_point_at_the_defining_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    result = CliRunner().invoke(
        main, ["check", "--migrations", "migrations", "--select", "FK101", "--format", "github"]
    )
    assert result.exit_code == 1
    annotation = result.stdout.splitlines()[0]
    # Auto-named: no file spells the name; the column whose REFERENCES made the key does.
    lines = (FIXTURES / "migrations" / "V10__order_lines.sql").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "product_id bigint" in text)
    assert "REFERENCES products" in lines[line - 1]
    assert annotation.startswith(f"::warning file=migrations/V10__order_lines.sql,line={line},")


def test_fix_and_baseline_take_schema_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    fix = CliRunner().invoke(main, ["fix", "--schema-file", "rails/structure.sql"])
    assert fix.exit_code == 1
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "projects_owner_id_idx"' in fix.stdout
    baseline = tmp_path / "rails.json"
    made = CliRunner().invoke(
        main, ["baseline", str(baseline), "--schema-file", "rails/structure.sql"]
    )
    assert made.exit_code == 0, made.output
    checked = CliRunner().invoke(
        main, ["check", "--schema-file", "rails/structure.sql", "--baseline", str(baseline)]
    )
    assert checked.exit_code == 0, checked.output


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


PARENT_CHILD = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\n"


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"x.sql": "CREATE DATABASE \"my 'db'\";\n\\connect \"my 'db'\"\n" + PARENT_CHILD},
            id="pg_dump --create switches database",
        ),
        pytest.param(
            {
                "m/001.sql": "-- +goose Up\n"
                + PARENT_CHILD
                + "-- +goose Down\nDROP TABLE c;\nDROP TABLE p;\n"
            },
            id="goose down section",
        ),
        pytest.param(
            {"m/001.sql": "-- migrate:up\n" + PARENT_CHILD + "-- migrate:down\nDROP TABLE c, p;\n"},
            id="dbmate down section",
        ),
        pytest.param(
            {
                "m/V1__p.sql": "CREATE TABLE p (id int PRIMARY KEY);\n",
                "m/V1_1__c.sql": "CREATE TABLE c (p_id int REFERENCES p);\n",
                "m/R__later.sql": "CREATE VIEW v AS SELECT * FROM c;\n",
                "m/U1_1__undo.sql": "DROP TABLE c;\n",
            },
            id="flyway versions, R last, no undo",
        ),
        pytest.param(
            {
                "x.sql": "CREATE ROLE app;\n"
                + PARENT_CHILD
                + 'ALTER TABLE p OWNER TO app;\nGRANT SELECT ON c TO "Reader, Role";\n'
            },
            id="a role created by the file and one it lacks",
        ),
    ],
)
def test_schema_files_that_need_care(files: dict[str, str], tmp_path: Path) -> None:
    _write(tmp_path, files)
    target = (
        ["--schema-file", str(tmp_path / "x.sql")]
        if "x.sql" in files
        else ["--migrations", str(tmp_path / "m")]
    )
    result, found = audit_fk101(*target)
    assert result.exit_code == 1, result.output
    assert found == {"public.c.c_p_id_fkey"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "x.sql": "CREATE TABLE p (id int PRIMARY KEY);\n\\i inc.sql\n",
                "inc.sql": "\n\nCREATE TABLE c (\n  p_id int REFERENCES nothere\n);\n",
            },
            "x.sql:2: psql meta-command \\i refused",
            id="\\i include is refused",
        ),
        pytest.param(
            {
                "x.sql": "CREATE TABLE p (id int);\nDO $$\nBEGIN\n  PERFORM 1;\n"
                "  EXECUTE 'SELECT * FROM\n nothere';\nEND\n$$;\n"
            },
            'x.sql:2: ERROR: relation "nothere" does not exist (PL/pgSQL function '
            "inline_code_block line 4 at EXECUTE)",
            id="DO block",
        ),
        pytest.param(
            {"x.sql": "CREATE TABLE t (id int);\n\nCOPY t (id) FROM stdin;\n1\nx\n\\.\n"},
            'x.sql:5: ERROR: invalid input syntax for type integer: "x" (COPY t, line 2',
            id="COPY data: the row's own line",
        ),
        pytest.param(
            {"x.sql": "CREATE TABLE p (id int);\nDROP TABLE p;\n"},
            "x.sql: applied, but no table exists afterwards",
            id="nothing left",
        ),
    ],
)
def test_schema_file_errors_name_the_place(
    files: dict[str, str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, files)
    result = CliRunner().invoke(main, ["check", "--schema-file", "x.sql"])
    assert result.exit_code == 2
    assert result.output.startswith("fkaudit: error: ") and expected in result.output
    assert len(result.output.splitlines()) == 1


def test_the_users_libpq_environment_does_not_reach_the_throwaway_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"x.sql": PARENT_CHILD})
    # PGOPTIONS is the exception, kept on purpose: test_schema_file_trust.py
    for key, value in {
        "PGSSLMODE": "require",
        "PGHOSTADDR": "10.1.2.3",
        "PGSERVICE": "nosuch",
    }.items():
        monkeypatch.setenv(key, value)
    result, found = audit_fk101("--schema-file", str(tmp_path / "x.sql"))
    assert result.exit_code == 1 and found == {"public.c.c_p_id_fkey"}, result.output
    assert os.environ["PGSSLMODE"] == "require"  # restored for whatever runs next


def test_constraints_are_located_per_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tables with a constraint of the same name: each annotation lands on its own."""
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path,
        {
            "x.sql": "\n".join(
                [
                    "CREATE TABLE customers (id int PRIMARY KEY);",
                    "CREATE TABLE orders (id int PRIMARY KEY, c int,",
                    "  CONSTRAINT fk_customer FOREIGN KEY (c) REFERENCES customers);",
                    "CREATE TABLE invoices (id int PRIMARY KEY, c int);",
                    "ALTER TABLE ONLY public.invoices",
                    "    ADD CONSTRAINT fk_customer FOREIGN KEY (c) REFERENCES customers;",
                ]
            )
        },
    )
    result = CliRunner().invoke(
        main, ["check", "--schema-file", "x.sql", "--select", "FK101", "--format", "github"]
    )
    lines = {
        text.split("::")[2].split(":")[0]: text.split(",")[1]
        for text in result.stdout.splitlines()
        if text.startswith("::")
    }
    assert lines == {"public.orders.fk_customer": "line=3", "public.invoices.fk_customer": "line=6"}
    artifact = CliRunner().invoke(
        main,
        [
            "check",
            "--schema-file",
            "x.sql",
            "--select",
            "FK101",
            "--format",
            "sarif",
            "--sarif-artifact",
            "db/structure.sql",
        ],
    )
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(artifact.stdout)["runs"][0]["results"]
        for loc in r["locations"]
    }
    assert uris == {"db/structure.sql"}


# -- applied as an ordinary role ----------------------------------------------------------------
# The files run as a role without superuser (test_schema_file_trust.py shows what that refuses);
# these are what real dumps and migrations hold and still load, on every major.


def _server_major() -> int:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    server = Path(bindir) / "postgres" if bindir else embedded_bindir() / "postgres"
    version = subprocess.run([server, "--version"], capture_output=True, text=True, check=True)
    return int(re.search(r"(\d+)", version.stdout)[1])  # type: ignore[index]


def _available_extensions() -> set[str]:
    bindir = Path(os.environ.get("FKAUDIT_TEST_PG_BINDIR") or embedded_bindir())
    return {path.stem for path in bindir.parent.rglob("*.control")}


# Trusted since PostgreSQL 13, then three that only a superuser may create but schemas use.
EXTENSIONS = (
    "pgcrypto",
    "citext",
    "btree_gist",
    "hstore",
    "uuid-ossp",
    "pg_trgm",
    "pg_stat_statements",
    "pgstattuple",
    "vector",
)

LOADABLE = [
    pytest.param(
        {
            "x.sql": "EXTENSIONS\nCREATE TABLE p (id public.citext PRIMARY KEY DEFAULT "
            "lower('x'));\nCREATE TABLE c (p_id public.citext REFERENCES p);\n"
        },
        12,
        id="extensions as pg_dump writes them, with comments",
    ),
    pytest.param(
        {
            "x.sql": "CREATE SCHEMA ext;\nCREATE EXTENSION citext WITH SCHEMA ext;\n"
            "CREATE TABLE p (id ext.citext PRIMARY KEY);\n"
            "CREATE TABLE c (p_id ext.citext REFERENCES p);\n"
        },
        13,
        id="a trusted extension in a schema of the file's",
    ),
    pytest.param(
        {
            "x.sql": "CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;\n"
            "COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';\n" + PARENT_CHILD
        },
        12,
        id="old pg_dump's plpgsql comment",
    ),
    pytest.param(
        {
            "x.sql": "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8';\n"
            "ALTER DATABASE shop OWNER TO postgres;\n\\connect shop\n"
            "CREATE SCHEMA s;\nALTER SCHEMA s OWNER TO app;\n"
            + PARENT_CHILD
            + "ALTER TABLE p OWNER TO postgres;\nCREATE FUNCTION s.f() RETURNS int "
            "LANGUAGE sql AS 'SELECT 1';\nALTER FUNCTION s.f() OWNER TO postgres;\n"
            "REVOKE CONNECT ON DATABASE shop FROM PUBLIC;\n"
        },
        12,
        id="pg_dump --create: owners in a database the file made",
    ),
    pytest.param(
        {
            "x.sql": "COMMENT ON SCHEMA public IS 'standard public schema';\n"
            "CREATE SCHEMA s AUTHORIZATION app;\nCREATE FUNCTION s.f() RETURNS int "
            "LANGUAGE sql AS 'SELECT 1';\nALTER FUNCTION s.f() OWNER TO postgres;\n"
            + PARENT_CHILD
            + "ALTER TABLE p OWNER TO postgres;\n"
        },
        12,
        id="a superuser's function in another role's schema",
    ),
    pytest.param(
        {
            "x.sql": "SET ROLE app;\n" + PARENT_CHILD + "RESET ROLE;\n"
            "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON "
            "TABLES TO reader;\nALTER DEFAULT PRIVILEGES FOR ROLE app GRANT ALL ON "
            "SEQUENCES TO reader;\nCREATE PUBLICATION pub FOR TABLE p;\n"
            "ALTER PUBLICATION pub OWNER TO app;\n"
        },
        12,
        id="SET ROLE, default privileges, a publication of tables",
    ),
    pytest.param(
        {
            "x.sql": "CREATE ROLE app LOGIN;\n"
            + PARENT_CHILD
            + "ALTER TABLE p OWNER TO app;\nGRANT SELECT ON c TO app;\n"
        },
        16,
        id="a role the file creates",
    ),
]


@pytest.mark.parametrize(("files", "since"), LOADABLE)
def test_what_real_files_hold_loads_as_an_ordinary_role(
    files: dict[str, str], since: int, tmp_path: Path
) -> None:
    available = _available_extensions()
    created = "".join(
        f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA public;\n'
        f"COMMENT ON EXTENSION \"{name}\" IS 'as pg_dump writes it';\n"
        for name in EXTENSIONS
        if name in available
    )
    _write(tmp_path, {name: text.replace("EXTENSIONS\n", created) for name, text in files.items()})
    result, found = audit_fk101("--schema-file", str(tmp_path / "x.sql"), *matrix_bindir())
    if _server_major() < since:
        assert result.exit_code == 2, result.output
        assert (
            f"schema files are applied as an unprivileged role, and before PostgreSQL {since}"
            in result.output
            and len(result.output.splitlines()) == 1
        ), result.output
        return
    assert result.exit_code == 1, result.output
    assert found == {"public.c.c_p_id_fkey"}


REFUSED = [
    pytest.param(
        "SET SESSION AUTHORIZATION app;\n",
        'set session authorization "app"',
        id="pg_dump --use-set-session-authorization",
    ),
    pytest.param(
        "CREATE FUNCTION et() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;\n"
        "CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE PROCEDURE et();\n",
        'event trigger "e"',
        id="event trigger",
    ),
    pytest.param(
        "CREATE PUBLICATION pub FOR ALL TABLES;\n",
        "FOR ALL TABLES publication",
        id="publication for all tables",
    ),
    pytest.param(
        "CREATE SUBSCRIPTION sub CONNECTION 'dbname=x' PUBLICATION pub\n"
        "  WITH (connect = false, slot_name = 'sub');\n",
        "subscription",
        id="subscription",
    ),
    pytest.param(
        "CREATE EXTENSION IF NOT EXISTS file_fdw WITH SCHEMA public;\n",
        'extension "file_fdw"',
        id="an untrusted extension",
    ),
]


@pytest.mark.parametrize(("sql", "what"), REFUSED)
def test_what_needs_a_superuser_is_refused_in_one_line(sql: str, what: str, tmp_path: Path) -> None:
    _write(tmp_path, {"x.sql": PARENT_CHILD + sql})
    result = CliRunner().invoke(
        main, ["check", "--schema-file", str(tmp_path / "x.sql"), *matrix_bindir()]
    )
    assert result.exit_code == 2, result.output
    line = 3 + sql.count("\n") - 1 if "event trigger" in what else 3
    assert result.output.startswith(f"fkaudit: error: {tmp_path / 'x.sql'}:{line}: ERROR: ")
    assert (
        what in result.output
        and "schema files are applied as an unprivileged role" in (result.output)
        and len(result.output.splitlines()) == 1
    ), result.output


def test_the_audit_sees_every_row_of_tables_other_roles_own(tmp_path: Path) -> None:
    """FK501 and FK302 read rows: the audit runs as the loader, which holds the owners' roles
    and bypasses row-level security, so a forced policy hiding every row hides nothing."""
    _write(
        tmp_path,
        {
            "x.sql": (
                "CREATE TABLE p (id int PRIMARY KEY);\nINSERT INTO p VALUES (1);\n"
                "CREATE TABLE c (id int, p_id int DEFAULT 0);\n"
                "INSERT INTO c VALUES (1, 1), (2, 7);\n"
                "ALTER TABLE c ADD CONSTRAINT c_p_id_fkey FOREIGN KEY (p_id) REFERENCES p\n"
                "  ON DELETE SET DEFAULT NOT VALID;\nCREATE INDEX ON c (p_id);\n"
                "ALTER TABLE p OWNER TO app;\nALTER TABLE c OWNER TO other;\n"
                "REVOKE ALL ON p, c FROM PUBLIC;\n"
                "ALTER TABLE p ENABLE ROW LEVEL SECURITY;\n"
                "ALTER TABLE p FORCE ROW LEVEL SECURITY;\n"
                "ALTER TABLE c ENABLE ROW LEVEL SECURITY;\n"
                "ALTER TABLE c FORCE ROW LEVEL SECURITY;\n"
                "CREATE POLICY none ON c USING (false);\n"
            )
        },
    )
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--schema-file",
            str(tmp_path / "x.sql"),
            "--orphans",
            "all",
            "--select",
            "FK302,FK501",
            "--format",
            "json",
            *matrix_bindir(),
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert sorted(f["code"] for f in report["findings"]) == ["FK302", "FK501"], report
    orphans = next(f for f in report["findings"] if f["code"] == "FK501")
    assert "1" in orphans["message"], orphans


def test_system_triggers_switched_off_as_a_dump_does(tmp_path: Path) -> None:
    """`DISABLE TRIGGER ALL` reaches the foreign keys' system triggers, which only a superuser
    may switch: fkaudit does it for a table the loader owns, and FK402 sees the result."""
    _write(
        tmp_path,
        {
            "x.sql": (
                "CREATE TABLE p (id int PRIMARY KEY);\n"
                'CREATE TABLE "Order Items" (p_id int REFERENCES p);\n'
                'CREATE INDEX ON "Order Items" (p_id);\n'
                "SELECT pg_catalog.set_config('search_path', '', false);\n"
                'ALTER TABLE ONLY public."Order Items" DISABLE TRIGGER ALL;\n'
                "ALTER TABLE public.p DISABLE TRIGGER ALL;\n"
                "ALTER TABLE public.p ENABLE TRIGGER ALL;\n"
            )
        },
    )
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--schema-file",
            str(tmp_path / "x.sql"),
            "--select",
            "FK402",
            "--format",
            "json",
            *matrix_bindir(),
        ],
    )
    assert result.exit_code == 1, result.output
    found = {(f["table"], f["constraint"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {("Order Items", "Order Items_p_id_fkey")}
