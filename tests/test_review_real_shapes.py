"""Review mode on the shapes a real migration history showed (docs/real-history.md).

Running the last 20 migrations of two public projects through `check --migrations
--new-since` found five things fkaudit got wrong. Each test here reproduces one with a small
migration folder written for it (no project's SQL is kept here): a role first named by a new
migration inside a DO block, a key between two tables the change created, a self-referencing
ON DELETE CASCADE key, a UNIQUE constraint whose index leads with a key's column, and a
validation scan under an ACCESS EXCLUSIVE lock an earlier statement took. Every lock and
finding is what the throwaway server reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psycopg
from click.testing import CliRunner

from fkaudit.cli import main

BASE = (
    "CREATE TABLE parent (id int PRIMARY KEY);\n"
    "CREATE TABLE child (id int PRIMARY KEY, parent_id int, pos int);\n"
)


def matrix_bindir() -> list[str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


def folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def review(directory: Path, new_since: str, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--migrations",
            str(directory),
            "--new-since",
            new_since,
            "--format",
            "json",
            *args,
            *matrix_bindir(),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def codes(findings: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return sorted((f["code"], f["constraint"]) for f in findings)


def test_a_role_first_named_by_a_new_migration_in_a_do_block_is_created(tmp_path: Path) -> None:
    """supabase/auth grants to `postgres` inside a DO block in a new migration: the server
    message then carries a CONTEXT line, and the replay ran after the base's roles were made.
    Both used to stop the review with `role ... does not exist`."""
    directory = folder(
        tmp_path,
        {
            "001_base.sql": BASE,
            "002_grant.sql": "DO $$ BEGIN GRANT SELECT ON child TO app_reader; END $$;\n"
            "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
            "REFERENCES parent;\n",
        },
    )
    found = review(directory, "002_grant.sql", "--select", "FK701")
    assert [(f["code"], f["location"]["line"]) for f in found] == [("FK701", 2)]
    # the whole folder, audited as one schema, gets the role too
    result = CliRunner().invoke(
        main, ["check", "--migrations", str(directory), "--select", "FK101", *matrix_bindir()]
    )
    assert result.exit_code == 1, result.output
    assert "child_parent_fk" in result.stdout


def test_a_regression_between_two_new_tables_is_placed_at_its_key(tmp_path: Path) -> None:
    """A key between two tables the change creates: its FK704 used to have no location at all
    (the snapshots held only keys touching tables that existed before). It is placed at the
    statement that added it, the CREATE TABLE starting on line 2."""
    new = (
        "CREATE TABLE client (id int PRIMARY KEY);\n"
        "CREATE TABLE grant_row (\n"
        "    id int PRIMARY KEY,\n"
        "    client_id int NOT NULL REFERENCES client ON DELETE CASCADE\n"
        ");\n"
    )
    directory = folder(tmp_path, {"001_base.sql": BASE, "002_new_tables.sql": new})
    found = review(directory, "002_new_tables.sql", "--select", "FK101,FK704")
    assert [(f["code"], f["details"]["introduced"]) for f in found] == [("FK704", "FK101")]
    location = found[0]["location"]
    assert (Path(location["path"]).name, location["line"]) == ("002_new_tables.sql", 2)


def cascading_children(count: int) -> str:
    return "".join(
        f"CREATE TABLE kid{i} (id int PRIMARY KEY, "
        f"parent_id int NOT NULL REFERENCES parent ON DELETE CASCADE);\n"
        for i in range(count)
    )


def test_a_self_referencing_cascade_is_no_cycle(tmp_path: Path) -> None:
    """hoppscotch turned a tree's parent key into ON DELETE CASCADE: a tree deleting its
    subtree, which FK305 calls a normal pattern. FK705 called it a cycle; a cycle through two
    tables still is one (both of its keys close it)."""
    tree = "ALTER TABLE parent ADD CONSTRAINT parent_up_fk FOREIGN KEY (up) REFERENCES parent "
    tree += "ON DELETE CASCADE;\n"
    loop = (
        "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
        "REFERENCES parent ON DELETE CASCADE;\n"
        "ALTER TABLE parent ADD COLUMN child_id int;\n"
        "ALTER TABLE parent ADD CONSTRAINT parent_child_fk FOREIGN KEY (child_id) "
        "REFERENCES child ON DELETE CASCADE;\n"
    )
    base = BASE + "ALTER TABLE parent ADD COLUMN up int;\n"
    (tmp_path / "tree").mkdir()
    (tmp_path / "loop").mkdir()
    only_tree = folder(tmp_path / "tree", {"001_base.sql": base, "002_tree.sql": tree})
    assert review(only_tree, "002_tree.sql", "--select", "FK705") == []
    both = folder(tmp_path / "loop", {"001_base.sql": base, "002_both.sql": tree + loop})
    found = review(both, "002_both.sql", "--select", "FK705")
    assert [(f["constraint"], f["details"]["cycle"]) for f in found] == [
        ("child_parent_fk", True),
        ("parent_child_fk", True),
    ]


def test_a_wide_cascade_says_how_wide_it_was_before(tmp_path: Path) -> None:
    """A new leaf under a cascade the base already had fires FK705 (more than 4 tables); the
    message says how many tables the cascade reached before, so it reads as one table more."""
    directory = folder(
        tmp_path,
        {
            "001_base.sql": BASE + cascading_children(4),
            "002_leaf.sql": "CREATE TABLE leaf (id int PRIMARY KEY, "
            "parent_id int NOT NULL REFERENCES parent ON DELETE CASCADE);\n",
        },
    )
    (found,) = review(directory, "002_leaf.sql", "--select", "FK705")
    assert found["message"].endswith(
        "cascade to 5 tables (more than 4); it cascaded to 4 tables before the change"
    )
    assert found["details"]["reached_tables"] == sorted(
        ["public.leaf", *(f"public.kid{i}" for i in range(4))]
    )


def test_a_unique_constraint_index_keeps_its_constraint_in_the_rewrite(
    tmp_path: Path, db: str
) -> None:
    """hoppscotch added DEFERRABLE UNIQUE constraints leading with a key's column: FK703's
    rewrite built the index concurrently and dropped the constraint. It now attaches the
    constraint USING INDEX as declared, and the rewrite runs as suggested."""
    directory = folder(
        tmp_path,
        {
            "001_base.sql": BASE + "ALTER TABLE child ADD CONSTRAINT child_parent_fk "
            "FOREIGN KEY (parent_id) REFERENCES parent;\n",
            "002_unique.sql": "ALTER TABLE child ADD CONSTRAINT child_parent_pos_key "
            "UNIQUE (parent_id, pos) DEFERRABLE INITIALLY DEFERRED;\n",
        },
    )
    (found,) = review(directory, "002_unique.sql", "--select", "FK703")
    assert found["constraint"] == "child_parent_fk"
    build, attach = found["suggestion"].splitlines()
    assert build.startswith("CREATE UNIQUE INDEX CONCURRENTLY child_parent_pos_key ON")
    assert attach.endswith('USING INDEX "child_parent_pos_key" DEFERRABLE INITIALLY DEFERRED;')
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(BASE)
        for statement in (build, attach):
            conn.execute(statement)
        row = conn.execute(
            "SELECT contype, condeferrable, condeferred, conindid::regclass::text"
            " FROM pg_constraint WHERE conname = 'child_parent_pos_key'"
        ).fetchone()
    assert row == ("u", True, True, "child_parent_pos_key")


def test_a_scan_under_access_exclusive_says_reads_wait_too(tmp_path: Path) -> None:
    """Prisma runs a file in one transaction: hoppscotch's ADD COLUMN, then ADD FOREIGN KEY
    on the same table held ACCESS EXCLUSIVE through the validation scan, which blocks reads
    as well as writes. A key added on its own says writes only."""
    directory = folder(
        tmp_path,
        {
            "001_base.sql": BASE,
            "002_column_and_key.sql": "ALTER TABLE child ADD COLUMN note text;\n"
            "ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) "
            "REFERENCES parent;\n",
        },
    )
    (wrapped,) = review(
        directory, "002_column_and_key.sql", "--select", "FK701", "--transaction", "file"
    )
    assert {"AccessExclusiveLock", "ShareRowExclusiveLock"} <= set(
        wrapped["details"]["locks"]["public.child"]
    )
    assert "blocking writes (and reads of public.child) until" in wrapped["message"]
    (alone,) = review(
        directory, "002_column_and_key.sql", "--select", "FK701", "--transaction", "statement"
    )
    assert "ShareRowExclusiveLock" in alone["details"]["locks"]["public.child"]
    assert "AccessExclusiveLock" not in alone["details"]["locks"]["public.child"]
    assert "blocking writes until" in alone["message"]
