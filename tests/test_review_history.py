"""benchmarks/review_history.py: its arguments, the copy it prepares, and the table it prints.

The real runs (hoppscotch, supabase/auth) are documented in docs/real-history.md, not run
here: their SQL is not kept in this repository. These tests use a small project written for
them, with a template placeholder and a prelude like supabase/auth needs, and run fkaudit in
this process (the runner the script takes) on the throwaway server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.errors import FkauditError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import review_history

PLACEHOLDER = '{{ index .Options "Namespace" }}'
MIGRATIONS = {
    "001_base.sql": f"CREATE TABLE {PLACEHOLDER}.parent (id int PRIMARY KEY);\n"
    f"CREATE TABLE {PLACEHOLDER}.child (id int PRIMARY KEY, parent_id int);\n",
    "002_note.sql": f"ALTER TABLE {PLACEHOLDER}.child ADD COLUMN note text;\n",
    "003_key.sql": "-- the key, validated at once\n"
    f"ALTER TABLE {PLACEHOLDER}.child ADD CONSTRAINT child_parent_fk\n"
    f'    FOREIGN KEY (parent_id) REFERENCES {{{{index .Options "Namespace" }}}}.parent;\n',
}
SUBSTITUTE = [r'\{\{\s*index\s+\.Options\s+"Namespace"\s*\}\}', "app"]


def project(root: Path) -> Path:
    migrations = root / "project" / "db" / "migrations"
    migrations.mkdir(parents=True)
    for name, text in MIGRATIONS.items():
        (migrations / name).write_text(text)
    return root / "project"


def in_process(args: Sequence[str]) -> tuple[int, str, str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    result = CliRunner().invoke(main, [*args, *(["--pg-bindir", bindir] if bindir else [])])
    return result.exit_code, result.stdout, result.stderr


def test_arguments_default_to_the_last_20() -> None:
    args = review_history.parse_args(["/x", "--migrations", "db/migrations"])
    assert (args.last, args.substitute, args.prelude, args.transaction) == (20, [], None, "auto")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--last", "0"], "--last 0: must be 1 or more"),
        (["--substitute", "(", "x"], "not a regular expression"),
        (["--substitute", "a", "b\nc"], "a replacement may not span lines"),
        (["--transaction", "nested"], "invalid choice: 'nested'"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        review_history.parse_args(["/x", "--migrations", "m", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_copy_is_substituted_and_split_at_the_last_n(tmp_path: Path) -> None:
    checkout = project(tmp_path)
    prelude = tmp_path / "prelude.sql"
    prelude.write_text("CREATE SCHEMA app;")
    argv = [str(checkout), "--migrations", "db/migrations", "--last", "2"]
    args = review_history.parse_args(
        [*argv, "--substitute", *SUBSTITUTE, "--prelude", str(prelude)]
    )
    work = tmp_path / "work"
    work.mkdir()
    prepared = review_history.prepare(args, work)
    assert (prepared.new_since, prepared.files, prepared.new) == ("002_note.sql", 3, 2)
    copy = prepared.directory
    assert (copy / "001_base.sql").read_text().startswith("CREATE SCHEMA app;\nCREATE TABLE app.")
    # both spellings of the template replaced, the lines where they were
    assert (copy / "003_key.sql").read_text().splitlines()[1:] == [
        "ALTER TABLE app.child ADD CONSTRAINT child_parent_fk",
        "    FOREIGN KEY (parent_id) REFERENCES app.parent;",
    ]
    assert prepared.notes[0].endswith(": 5x in 3 files")
    assert "prepended" in prepared.notes[1]
    # the checkout is never written to
    assert (checkout / "db/migrations/003_key.sql").read_text() == MIGRATIONS["003_key.sql"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--last", "4"], "--last 4: "),
        (["--last", "2", "--substitute", "nowhere", "x"], "matches no migration"),
        (["--last", "1", "--substitute", r"text;\s+", "x"], "matches across lines in 002_"),
        (["--last", "3", "--prelude", "/dev/null"], "--prelude needs a base"),
    ],
)
def test_what_cannot_be_prepared_is_an_error(tmp_path: Path, argv: list[str], message: str) -> None:
    args = review_history.parse_args(
        [str(project(tmp_path)), "--migrations", "db/migrations", *argv]
    )
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(FkauditError, match=message.replace("(", r"\(")):
        review_history.prepare(args, work)


def test_the_table_names_file_line_code_and_observed_locks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prelude = tmp_path / "prelude.sql"
    prelude.write_text("CREATE SCHEMA app;\n")
    argv = [str(project(tmp_path)), "--migrations", "db/migrations", "--last", "2"]
    argv += ["--substitute", *SUBSTITUTE, "--prelude", str(prelude), "--transaction", "file"]
    assert review_history.main(argv, run=in_process) == 0
    out = capsys.readouterr().out
    assert "command: fkaudit check --migrations <copy of the migrations> --new-since " in out
    assert "--new-since 002_note.sql --format json --transaction file" in out
    rows = {line.split()[1]: line.split() for line in out.splitlines() if " FK7" in line}
    # the key statement starts on line 2 of 003_key.sql; its file runs in one transaction
    # (--transaction file), so 002's ADD COLUMN is not in it: the key took SHARE ROW EXCLUSIVE
    assert rows["FK701"][0] == "003_key.sql:2"
    assert " ".join(rows["FK701"][2:]) == (
        "app.child child_parent_fk app.child SHARE ROW EXCLUSIVE; app.parent SHARE ROW EXCLUSIVE"
    )
    assert rows["FK704"][:3] == ["003_key.sql:2", "FK704", "introduces"]
    assert out.rstrip().endswith(": FK701 x1, FK704 x1")


def test_a_failed_review_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the prelude the schema the files name does not exist."""
    argv = [str(project(tmp_path)), "--migrations", "db/migrations", "--substitute", *SUBSTITUTE]
    argv += ["--last", "1"]
    assert review_history.main(argv, run=in_process) == 2
    err = capsys.readouterr().err
    assert err.startswith("review_history.py: fkaudit failed (exit 2): ")
    assert 'schema "app" does not exist' in err
    assert err.count("\n") == 1
