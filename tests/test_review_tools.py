"""`check --migrations DIR --new-since FILE` on each migration tool's own folder layout.

Each folder under tests/fixtures/migrations/ (its README.md says how each was made) holds a base,
one unsafe foreign-key change and one safe one, in the tool's real layout and SQL style: Rails
(the SQL ActiveRecord ran, captured per migration, after the base `structure.sql`), Django
(`sqlmigrate` output), Flyway, golang-migrate, Prisma, goose and dbmate. A review from the unsafe
change on must give exactly the FK7xx findings listed here, at their file and line, with the
lock modes PostgreSQL showed in pg_locks; a review of the safe change alone must give none.
The lock modes were read on PostgreSQL 12 to 18 (FKAUDIT_TEST_PG_BINDIR) and are the same on
each. The last tests are about how each tool runs a file (transactions.py), `--transaction`
and `--base-ref` on a real git repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fkaudit.changes.transactions import detect_tool, file_transaction
from fkaudit.cli import main
from fkaudit.errors import FkauditError
from fkaudit.psqlscript import Statement, read_script
from fkaudit.schemafile import read_scripts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "migrations"

# pg_locks modes, as the details list them (sorted).
ADD_KEY_CHILD = ["AccessShareLock", "ShareRowExclusiveLock"]
ADD_KEY_PARENT = ["AccessShareLock", "RowShareLock", "ShareRowExclusiveLock"]


@dataclass(frozen=True)
class Expected:
    """One FK7xx finding: rule, key, file and line, and its details (but the fingerprint of
    the finding an FK704 stands for)."""

    code: str
    constraint: str
    path: str
    line: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fixture:
    tool: str
    migrations: str  # --migrations, from the fixture's folder
    unsafe: str  # --new-since: the first file of the unsafe change
    safe: str  # --new-since: the first file of the safe change
    expected: tuple[Expected, ...]


FIXTURE_CASES = [
    Fixture(
        "rails",
        "db/fkaudit",
        "20250301120000_add_posts_author_foreign_key.sql",
        "20250302090000_add_index_to_comments_post_id.sql",
        (
            Expected(
                "FK701",
                "fk_rails_04d13ef8c7",
                "db/fkaudit/20250301120000_add_posts_author_foreign_key.sql",
                4,
                {"locks": {"public.posts": ADD_KEY_CHILD, "public.users": ADD_KEY_PARENT}},
            ),
        ),
    ),
    Fixture(
        "django",
        "sqlmigrate",
        "0002_library_0002_book_publisher.sql",
        "0003_library_0003_book_translator.sql",
        (
            # ADD COLUMN ... DEFAULT 1 NOT NULL ... REFERENCES: with a default, PostgreSQL must
            # check the existing rows, under ADD COLUMN's ACCESS EXCLUSIVE.
            Expected(
                "FK701",
                "library_book_publisher_id_40a14e76_fk_library_publisher_id",
                "sqlmigrate/0002_library_0002_book_publisher.sql",
                5,
                {
                    "locks": {
                        "public.library_book": ["AccessExclusiveLock", *ADD_KEY_CHILD],
                        "public.library_publisher": ADD_KEY_PARENT,
                    }
                },
            ),
            # Django's index comes after the key, in the migration's transaction.
            Expected(
                "FK703",
                "library_book_publisher_id_40a14e76_fk_library_publisher_id",
                "sqlmigrate/0002_library_0002_book_publisher.sql",
                7,
                {
                    "index": "library_book_publisher_id_40a14e76",
                    "locks": {
                        "public.library_book": [
                            "AccessExclusiveLock",
                            "AccessShareLock",
                            "ShareLock",
                            "ShareRowExclusiveLock",
                        ]
                    },
                },
            ),
        ),
    ),
    Fixture(
        "flyway",
        "sql",
        "V2__cascade_product_category.sql",
        "V3__add_product_supplier.sql",
        (
            # The DROP before it, in the same script's transaction, holds ACCESS EXCLUSIVE.
            Expected(
                "FK701",
                "product_category_id_fkey",
                "sql/V2__cascade_product_category.sql",
                5,
                {
                    "locks": {
                        "public.product": ["AccessExclusiveLock", *ADD_KEY_CHILD],
                        "public.category": ["AccessExclusiveLock", *ADD_KEY_PARENT],
                    }
                },
            ),
            Expected(
                "FK704", "product_category_id_fkey", "sql/V2__cascade_product_category.sql", 5
            ),
        ),
    ),
    Fixture(
        "golang-migrate",
        "migrations",
        "000002_invoices_account_fk.up.sql",
        "000003_invoice_lines_invoice_fk.up.sql",
        (
            Expected(
                "FK702",
                "invoices_account_id_fkey",
                "migrations/000002_invoices_account_fk.up.sql",
                6,
                {
                    "locks": {
                        "public.invoices": [*ADD_KEY_CHILD, "ShareUpdateExclusiveLock"],
                        "public.accounts": ADD_KEY_PARENT,
                    }
                },
            ),
        ),
    ),
    Fixture(
        "prisma",
        "prisma/migrations",
        "20250210120000_post_author_relation/migration.sql",
        "20250301090000_post_editor_relation/migration.sql",
        (
            Expected(
                "FK701",
                "Post_authorId_fkey",
                "prisma/migrations/20250210120000_post_author_relation/migration.sql",
                2,
                {"locks": {"public.Post": ADD_KEY_CHILD, "public.User": ADD_KEY_PARENT}},
            ),
        ),
    ),
    Fixture(
        "goose",
        "migrations",
        "00002_index_members_team_id.sql",
        "00003_tasks_team_fk.sql",
        (
            # SHARE only: the ACCESS EXCLUSIVE lock CREATE INDEX holds is on the new index.
            Expected(
                "FK703",
                "members_team_id_fkey",
                "migrations/00002_index_members_team_id.sql",
                4,
                {"index": "members_team_id_idx", "locks": {"public.members": ["ShareLock"]}},
            ),
        ),
    ),
    Fixture(
        "dbmate",
        "db/migrations",
        "20250201100000_issues_project_fk.sql",
        "20250202100000_issues_reporter_fk.sql",
        (
            Expected(
                "FK701",
                "issues_project_id_fkey",
                "db/migrations/20250201100000_issues_project_fk.sql",
                2,
                {"locks": {"public.issues": ADD_KEY_CHILD, "public.projects": ADD_KEY_PARENT}},
            ),
            Expected(
                "FK704",
                "issues_project_id_fkey",
                "db/migrations/20250201100000_issues_project_fk.sql",
                2,
                {"introduced": "FK101"},
            ),
        ),
    ),
]


def matrix_bindir() -> list[str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


def review(*args: str) -> list[dict[str, Any]]:
    """The findings of `check --format json` with `args` (exit 0 or 1)."""
    result = CliRunner().invoke(main, ["check", *args, "--format", "json", *matrix_bindir()])
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def change_findings(findings: list[dict[str, Any]]) -> list[Expected]:
    """The FK7xx findings as Expected, each checked to name its file:line first."""
    got = []
    for f in findings:
        if not f["code"].startswith("FK7"):
            continue
        path, line = f["location"]["path"], f["location"]["line"]
        assert f["message"].startswith(f"{path}:{line}: "), f["message"]
        details = {k: v for k, v in f["details"].items() if k != "replaces"}
        got.append(Expected(f["code"], f["constraint"], path, line, details))
    return sorted(got, key=lambda e: (e.path, e.line, e.code))


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in findings are relative to the working directory (GITHUB_WORKSPACE unset)."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


@pytest.mark.parametrize("fixture", FIXTURE_CASES, ids=lambda f: f.tool)
def test_unsafe_change_gives_exactly_the_expected_findings(
    fixture: Fixture, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / fixture.tool)
    findings = review("--migrations", fixture.migrations, "--new-since", fixture.unsafe)
    assert change_findings(findings) == sorted(
        fixture.expected, key=lambda e: (e.path, e.line, e.code)
    )


@pytest.mark.parametrize("fixture", FIXTURE_CASES, ids=lambda f: f.tool)
def test_safe_change_gives_no_change_finding(
    fixture: Fixture, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / fixture.tool)
    findings = review("--migrations", fixture.migrations, "--new-since", fixture.safe)
    assert change_findings(findings) == []


def test_rails_capture_names_the_migration_line_above_each_statement() -> None:
    """The capture initializer writes `-- db/migrate/<file>.rb:<line>` before each statement,
    the line of the call that ran it, and BEGIN/COMMIT around a migration's statements unless
    the migration says disable_ddl_transaction!."""
    calls = {
        "VALIDATE CONSTRAINT": "validate_foreign_key",
        "ADD CONSTRAINT": "add_foreign_key",
        "CREATE INDEX": "add_index",
    }
    root = FIXTURES / "rails"
    captured = sorted((root / "db" / "fkaudit").glob("2*.sql"))
    assert len(captured) == 4
    named = 0
    for path in captured:
        lines = path.read_text().splitlines()
        rb = root / "db" / "migrate" / path.name.replace(".sql", ".rb")
        source = rb.read_text().splitlines()
        wrapped = "  disable_ddl_transaction!" not in source
        assert ("BEGIN;" in lines, "COMMIT;" in lines) == (wrapped, wrapped), path.name
        for i, line in enumerate(lines):
            if line.startswith("-- db/migrate/"):
                where, _, number = line[3:].rpartition(":")
                assert root / where == rb
                call = next(c for key, c in calls.items() if key in lines[i + 1])
                assert source[int(number) - 1].strip().startswith(f"{call} "), line
                named += 1
    assert named == 4


# --- how each tool runs a file ---------------------------------------------------------


def statements(path: Path) -> list[bytes]:
    (script,) = read_scripts([path])
    return [step.text for step in script.steps if isinstance(step, Statement)]


@pytest.mark.parametrize(
    ("tool", "migrations"),
    [
        ("rails", "db/fkaudit"),
        ("django", "sqlmigrate"),
        ("flyway", "sql"),
        ("golang-migrate", "migrations"),
        ("prisma", "prisma/migrations"),
        ("goose", "migrations"),
        ("dbmate", "db/migrations"),
    ],
)
def test_detect_tool_knows_each_fixture(tool: str, migrations: str) -> None:
    from fkaudit.schemafile import migration_files

    directory = FIXTURES / tool / migrations
    files = migration_files(directory)
    texts = [path.read_text() for path in files]
    expected = {"rails": "psql", "django": "psql"}.get(tool, tool)
    assert detect_tool(directory, files, texts) == expected


def test_detect_tool_prisma_by_folder_names_without_the_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "20250101000000_init" / "migration.sql"
    path.parent.mkdir()
    path.write_text("CREATE TABLE t (id int);\n")
    assert detect_tool(tmp_path, [path], [path.read_text()]) == "prisma"


@pytest.mark.parametrize(
    ("tool", "relative", "wrapped", "why"),
    [
        # Rails' and Django's captured SQL: the file's own BEGIN/COMMIT are its transactions.
        ("psql", "rails/db/fkaudit/20250301120000_add_posts_author_foreign_key.sql", False, "psql"),
        ("psql", "django/sqlmigrate/0004_library_0004_book_translator_index.sql", False, "psql"),
        ("flyway", "flyway/sql/V2__cascade_product_category.sql", True, "one transaction"),
        ("flyway", "flyway/sql/V3_1__index_product_supplier.sql", False, "without one"),
        ("flyway", "flyway/sql/V4__product_supplier_fk.sql", False, "executeInTransaction=false"),
        ("golang-migrate", "golang-migrate/migrations/000002_invoices_account_fk.up.sql", True, ""),
        (
            "golang-migrate",
            "golang-migrate/migrations/000004_index_invoice_lines_invoice_id.up.sql",
            False,
            "no transaction block",
        ),
        (
            "prisma",
            "prisma/prisma/migrations/20250105100000_init/migration.sql",
            True,
            "one transaction",
        ),
        (
            "prisma",
            "prisma/prisma/migrations/20250301090100_post_editor_index/migration.sql",
            False,
            "no transaction block",
        ),
        ("goose", "goose/migrations/00002_index_members_team_id.sql", True, "goose runs"),
        ("goose", "goose/migrations/00003_tasks_team_fk.sql", False, "NO TRANSACTION"),
        ("dbmate", "dbmate/db/migrations/20250201100000_issues_project_fk.sql", True, "dbmate"),
        (
            "dbmate",
            "dbmate/db/migrations/20250202100000_issues_reporter_fk.sql",
            False,
            "transaction:false",
        ),
    ],
)
def test_file_transaction_per_tool(tool: str, relative: str, wrapped: bool, why: str) -> None:
    path = FIXTURES / relative
    how = file_transaction(tool, path, path.read_text(), statements(path))
    assert how.wrapped is wrapped
    assert why in how.why


@pytest.mark.parametrize("override", ["file", "statement"])
def test_file_transaction_override_wins_for_every_tool(override: str) -> None:
    path = FIXTURES / "goose" / "migrations" / "00003_tasks_team_fk.sql"
    for tool in ("flyway", "golang-migrate", "prisma", "goose", "dbmate", "psql"):
        how = file_transaction(tool, path, path.read_text(), statements(path), override)
        assert how.wrapped is (override == "file")
        assert how.why == f"--transaction {override}"


def test_file_transaction_refuses_an_unknown_override() -> None:
    path = FIXTURES / "goose" / "migrations" / "00002_index_members_team_id.sql"
    with pytest.raises(FkauditError, match="--transaction both: expected one of auto, file"):
        file_transaction("goose", path, path.read_text(), statements(path), "both")


def test_goose_and_dbmate_markers_are_case_insensitive(tmp_path: Path) -> None:
    goose = "-- +goose no transaction\n-- +goose up\nSELECT 1;\n"
    assert not file_transaction("goose", tmp_path / "1_x.sql", goose, [b"SELECT 1"]).wrapped
    dbmate = "-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\n"
    assert not file_transaction("dbmate", tmp_path / "1_x.sql", dbmate, [b"SELECT 1"]).wrapped
    # transaction:false on the down section only does not concern the up section
    dbmate = "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n"
    assert file_transaction("dbmate", tmp_path / "1_x.sql", dbmate, [b"SELECT 1"]).wrapped


def test_flyway_conf_true_keeps_a_concurrent_build_in_the_transaction(tmp_path: Path) -> None:
    """executeInTransaction=true is Flyway's word: the script runs in a transaction, and a
    CREATE INDEX CONCURRENTLY in it fails (the replay then says so)."""
    path = tmp_path / "V2__index.sql"
    path.write_text("CREATE INDEX CONCURRENTLY t_x_idx ON t (x);\n")
    (tmp_path / "V2__index.sql.conf").write_text("# script config\nexecuteInTransaction=true\n")
    how = file_transaction("flyway", path, path.read_text(), statements(path))
    assert how.wrapped and how.why == "V2__index.sql.conf: executeInTransaction=true"


def test_flyway_refuses_a_script_mixing_concurrent_and_transactional_statements(
    tmp_path: Path, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "V1__base.sql").write_text(
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (id int PRIMARY KEY, p_id int);\n"
    )
    (tmp_path / "sql" / "V2__mixed.sql").write_text(
        "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY c_p_id_idx ON c (p_id);\n"
    )
    args = ["check", "--migrations", "sql", "--new-since", "V2__mixed.sql", *matrix_bindir()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith("fkaudit: error: sql/V2__mixed.sql: Flyway refuses this")
    assert "mixed=false" in result.output and len(result.output.splitlines()) == 1
    # with mixed=true Flyway runs it without a transaction: --transaction statement says so
    result = CliRunner().invoke(main, [*args, "--transaction", "statement", "--format", "json"])
    assert result.exit_code in (0, 1), result.output


# --- the statement splitter on the tools' syntax ---------------------------------------


def test_django_two_statements_on_one_line_are_two_statements_on_that_line() -> None:
    path = FIXTURES / "django" / "sqlmigrate" / "0002_library_0002_book_publisher.sql"
    script = read_script(path, path.read_text())
    got = [
        (s.line, s.text.replace(b";", b" ").split()[0])
        for s in script.steps
        if isinstance(s, Statement)
    ]
    assert got == [
        (1, b"BEGIN"),
        (5, b"ALTER"),  # ADD COLUMN ... REFERENCES ... DEFERRABLE INITIALLY DEFERRED;
        (5, b"SET"),  # SET CONSTRAINTS ... IMMEDIATE; on the same line
        (6, b"ALTER"),
        (7, b"CREATE"),
        (8, b"COMMIT"),
    ]


def test_goose_statement_begin_end_keeps_a_function_body_whole() -> None:
    path = FIXTURES / "goose" / "migrations" / "00001_create_teams.sql"
    (script,) = read_scripts([path])  # the Down section is cut off
    texts = [s.text.decode() for s in script.steps if isinstance(s, Statement)]
    assert len(texts) == 6
    assert texts[4].startswith("CREATE FUNCTION touch_updated_at()")
    assert texts[4].endswith("$$;") and "RETURN NEW;\nEND;" in texts[4]
    assert not any(text.startswith("DROP") for text in texts)
    safe = FIXTURES / "goose" / "migrations" / "00003_tasks_team_fk.sql"
    (script,) = read_scripts([safe])
    assert [s.line for s in script.steps if isinstance(s, Statement)] == [6, 9, 19]


# --- --transaction and --base-ref --------------------------------------------------------


def test_transaction_statement_clears_golang_migrate_validation_in_one_file(
    in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NOT VALID then VALIDATE in one golang-migrate file: one implicit transaction (FK702);
    with x-multi-statement (`--transaction statement`) each runs on its own: nothing."""
    monkeypatch.chdir(FIXTURES / "golang-migrate")
    args = ["--migrations", "migrations", "--new-since", "000002_invoices_account_fk.up.sql"]
    assert [f.code for f in change_findings(review(*args))] == ["FK702"]
    assert change_findings(review(*args, "--transaction", "statement")) == []


def test_transaction_file_makes_a_plain_sql_validation_block_writes(
    tmp_path: Path, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain SQL file runs statement by statement (psql); `--transaction file` puts the
    VALIDATE in the ADD's transaction, as a tool wrapping each file would: FK702."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001_base.sql").write_text(
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE c (id int PRIMARY KEY, p_id int);\nCREATE INDEX ON c (p_id);\n"
    )
    (tmp_path / "m" / "002_key.sql").write_text(
        "ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID;\n"
        "ALTER TABLE c VALIDATE CONSTRAINT c_p_fk;\n"
    )
    args = ["--migrations", "m", "--new-since", "002_key.sql"]
    assert change_findings(review(*args)) == []
    assert change_findings(review(*args, "--transaction", "file")) == [
        Expected(
            "FK702",
            "c_p_fk",
            "m/002_key.sql",
            2,
            {
                "locks": {
                    "public.c": [*ADD_KEY_CHILD, "ShareUpdateExclusiveLock"],
                    "public.p": ADD_KEY_PARENT,
                }
            },
        )
    ]


def test_transaction_file_on_a_concurrent_build_fails_as_written(
    in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / "golang-migrate")
    args = ["--migrations", "migrations", "--new-since", "000003_invoice_lines_invoice_fk.up.sql"]
    result = CliRunner().invoke(main, ["check", *args, "--transaction", "file", *matrix_bindir()])
    assert result.exit_code == 2
    assert result.output == (
        "fkaudit: error: migrations/000004_index_invoice_lines_invoice_id.up.sql:3: CREATE INDEX "
        "CONCURRENTLY cannot run inside a transaction block: this migration fails as written "
        "(--transaction file)\n"
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_base_ref_takes_the_new_files_from_git(
    tmp_path: Path, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in a pull request's CI: the target branch has the base migrations, the branch adds
    the others; `--base-ref main` finds the same findings as `--new-since` the first new file."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "dbmate", repo)
    new = sorted((repo / "db" / "migrations").glob("2025020*.sql"))
    moved = tmp_path / "later"
    moved.mkdir()
    for path in new:
        path.rename(moved / path.name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    for path in new:
        (moved / path.name).rename(path)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the change")
    monkeypatch.chdir(repo)
    by_ref = change_findings(review("--migrations", "db/migrations", "--base-ref", "main"))
    fixture = next(f for f in FIXTURE_CASES if f.tool == "dbmate")
    assert by_ref == sorted(fixture.expected, key=lambda e: (e.path, e.line, e.code))
    # an uncommitted new file is new too (not in main)
    (repo / "db" / "migrations" / "20250301000000_validate_project_fk.sql").write_text(
        "-- migrate:up\nALTER TABLE issues VALIDATE CONSTRAINT issues_project_id_fkey;\n"
    )
    by_ref = change_findings(review("--migrations", "db/migrations", "--base-ref", "main"))
    assert by_ref == sorted(fixture.expected, key=lambda e: (e.path, e.line, e.code))
    # nothing new against the branch itself but the uncommitted file: no FK7xx for a no-op
    assert change_findings(review("--migrations", "db/migrations", "--base-ref", "HEAD")) == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_base_ref_that_git_does_not_know_is_one_line(
    tmp_path: Path, in_fixtures: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "goose", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "all")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(
        main, ["check", "--migrations", "migrations", "--base-ref", "origin/nope"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("fkaudit: error: --base-ref: git ls-tree: ")
    assert len(result.output.splitlines()) == 1


# --- the recipes in docs/migrations.md are the ones that made the fixtures ----------------


def _code_block(language: str) -> str:
    page = (Path(__file__).resolve().parent.parent / "docs" / "migrations.md").read_text()
    (block,) = [part.split("\n```", 1)[0] for part in page.split(f"```{language}\n")[1:]]
    return block + "\n"


def test_documented_rails_initializer_is_the_one_that_captured_the_fixture() -> None:
    initializer = FIXTURES / "rails" / "config" / "initializers" / "fkaudit_capture.rb"
    block = _code_block("ruby")
    assert block.startswith("# config/initializers/fkaudit_capture.rb\n")
    assert block.removeprefix("# config/initializers/fkaudit_capture.rb\n") == (
        initializer.read_text()
    )


def test_documented_django_script_is_the_one_that_wrote_the_fixture() -> None:
    assert _code_block("python") == (FIXTURES / "django" / "fkaudit_sqlmigrate.py").read_text()


def test_an_index_built_before_its_key_in_one_transaction_is_judged_with_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prisma's relation migration (and Rails' `add_reference ..., foreign_key: true`) adds the
    column, builds its index, then adds the key, in one transaction: the index is the key's
    even though the key comes one statement later (FK703)."""
    monkeypatch.chdir(tmp_path)
    migrations = tmp_path / "prisma" / "migrations"
    (migrations / "1_init").mkdir(parents=True)
    (migrations / "2_relation").mkdir()
    (migrations / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (migrations / "1_init" / "migration.sql").write_text(
        'CREATE TABLE "Writer" ("id" SERIAL PRIMARY KEY);\n'
        'CREATE TABLE "Essay" ("id" SERIAL PRIMARY KEY);\n'
    )
    (migrations / "2_relation" / "migration.sql").write_text(
        'ALTER TABLE "Essay" ADD COLUMN "writerId" INTEGER;\n'
        'CREATE INDEX "Essay_writerId_idx" ON "Essay"("writerId");\n'
        'ALTER TABLE "Essay" ADD CONSTRAINT "Essay_writerId_fkey" FOREIGN KEY ("writerId")'
        ' REFERENCES "Writer"("id") ON DELETE SET NULL;\n'
    )
    found = change_findings(
        review("--migrations", "prisma/migrations", "--new-since", "2_relation/migration.sql")
    )
    index = [e for e in found if e.code == "FK703"]
    assert [(e.constraint, e.line) for e in index] == [("Essay_writerId_fkey", 2)]
