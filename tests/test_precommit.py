"""The pre-commit hook: `.pre-commit-hooks.yaml` and its entry point, `fkaudit-pre-commit`.

pre-commit itself is not run (it would install the hook from a clone, over the network); the
manifest is checked against what pre-commit reads, and the entry point is run as pre-commit
runs it, in a project folder with the changed files as arguments, on real schema files and
migration folders.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fkaudit.precommit import audits, migration_folder, worst

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, published as `tomli` for Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# -- which audits the changed files call for ---------------------------------------------------


def test_schema_files_alone_migration_folders_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "db/structure.sql": "",
            "db/migrations/V1__a.sql": "",
            "db/migrations/V2__b.sql": "",
            "prisma/migrations/20240101_init/migration.sql": "",
            "src/main/resources/db/migration/V1__x.sql": "",
            "sql/changes/001.sql": "",
            "sql/changes/nested/002.sql": "",
            "other.sql": "",
        },
    )
    monkeypatch.chdir(tmp_path)
    changed = [
        Path("db/migrations/V2__b.sql"),
        Path("db/structure.sql"),
        Path("db/migrations/V1__a.sql"),
        Path("prisma/migrations/20240101_init/migration.sql"),
        Path("src/main/resources/db/migration/V1__x.sql"),
        Path("sql/changes/nested/002.sql"),
        Path("deleted.sql"),
        Path("other.sql"),
    ]
    assert audits(changed, [Path("sql/changes")]) == [
        ("--migrations", Path("db/migrations")),
        ("--schema-file", Path("db/structure.sql")),
        ("--migrations", Path("prisma/migrations")),
        ("--migrations", Path("src/main/resources/db/migration")),
        ("--migrations", Path("sql/changes")),
        ("--schema-file", Path("other.sql")),
    ]
    # Undeclared, sql/changes is no migration folder: each file is a schema of its own.
    assert migration_folder(Path("sql/changes/001.sql")) is None
    # The innermost declared folder wins.
    declared = [Path("sql"), Path("sql/changes")]
    assert migration_folder(Path("sql/changes/nested/002.sql"), declared) == Path("sql/changes")


def test_the_worst_exit_code_wins() -> None:
    assert worst([]) == 0
    assert worst([0, 1, 0]) == 1
    assert worst([1, 2, 0]) == 2
    assert worst([2, 130, 1]) == 130


# -- the entry point, on real files --------------------------------------------------------------


def bindir_args() -> str:
    """The `fkaudit check` options for the suite's server binaries (empty: the embedded one)."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return f" --pg-bindir {bindir}" if bindir else ""


def hook(cwd: Path, *files: str, args: str = "") -> subprocess.CompletedProcess[str]:
    """`fkaudit-pre-commit [--args ARGS] FILES` run in `cwd` as pre-commit runs it (the console
    script's module, so the test needs no installed script)."""
    options = (args + bindir_args()).strip()
    given = ["--args", options] if options else []
    return subprocess.run(
        [sys.executable, "-m", "fkaudit.precommit", *given, *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"},
    )


SCHEMA = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (p_id int REFERENCES p);\n"
CLEAN_MIGRATIONS = {
    "db/migrations/V1__p.sql": "CREATE TABLE p (id int PRIMARY KEY);\n",
    "db/migrations/V2__c.sql": (
        "CREATE TABLE c (p_id int CONSTRAINT fk_c_p_id REFERENCES p);\nCREATE INDEX ON c (p_id);\n"
    ),
}


def test_a_changed_migration_audits_its_folder_once(tmp_path: Path) -> None:
    """V2 alone would not load (p comes from V1); the folder does, and it is clean."""
    write(tmp_path, CLEAN_MIGRATIONS)
    (tmp_path / "fkaudit.toml").write_text("", encoding="utf-8")  # no configuration above
    done = hook(tmp_path, "db/migrations/V2__c.sql", "db/migrations/V1__p.sql")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.findall(r"^\$ .*$", done.stdout, re.M) == [
        "$ fkaudit check --migrations db/migrations" + bindir_args()
    ]


def test_findings_in_a_schema_file_fail_the_hook(tmp_path: Path) -> None:
    write(tmp_path, {"db/structure.sql": SCHEMA, **CLEAN_MIGRATIONS})
    (tmp_path / "fkaudit.toml").write_text("", encoding="utf-8")
    done = hook(tmp_path, "db/structure.sql", "db/migrations/V1__p.sql", args="--select FK101")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.findall(r"^\$ .*$", done.stdout, re.M) == [
        "$ fkaudit check --schema-file db/structure.sql --select FK101" + bindir_args(),
        "$ fkaudit check --migrations db/migrations --select FK101" + bindir_args(),
    ]
    assert "FK101" in done.stdout and "c_p_id_fkey" in done.stdout


def test_a_file_that_does_not_load_fails_with_2(tmp_path: Path) -> None:
    write(tmp_path, {"schema.sql": "CREATE TABLE t (id intt);\n", "db/structure.sql": SCHEMA})
    (tmp_path / "fkaudit.toml").write_text("", encoding="utf-8")
    done = hook(tmp_path, "schema.sql", "db/structure.sql")
    assert done.returncode == 2
    assert 'schema.sql:1: ERROR: type "intt" does not exist' in done.stderr
    assert "c_p_id_fkey" in done.stdout  # the other file was still audited


def test_bad_hook_arguments_are_one_line(tmp_path: Path) -> None:
    done = hook(tmp_path, "x.sql", args="'unbalanced")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--args" in done.stderr
    assert "Traceback" not in done.stderr


# -- the manifest -------------------------------------------------------------------------------


def test_the_manifest_runs_the_entry_point_on_sql_files() -> None:
    (hook_spec,) = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {"id", "name", "entry", "language"} <= set(hook_spec)
    assert hook_spec["id"] == "fkaudit" and hook_spec["language"] == "python"
    assert project["scripts"][hook_spec["entry"]] == "fkaudit.precommit:run"
    assert re.search(hook_spec["files"], "db/structure.sql")
    assert not re.search(hook_spec["files"], "db/structure.rb")
    # The throwaway server, as the `embedded` extra brings it.
    assert hook_spec["additional_dependencies"] == project["optional-dependencies"]["embedded"]
    assert hook_spec["require_serial"] is True  # one throwaway server at a time


def test_readme_shows_a_config_using_the_hook() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    configs = [yaml.safe_load(block) for block in blocks if "repos:" in block]
    assert configs, "README has no .pre-commit-config.yaml example"
    ids = [hook["id"] for config in configs for repo in config["repos"] for hook in repo["hooks"]]
    assert "fkaudit" in ids
