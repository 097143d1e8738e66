"""The state a replayed transaction starts from is read, not assumed (fkaudit.changes.replay).

Two ways the start of a transaction differs from "no scan, keys and indexes as last read":
PostgreSQL keeps a session's earlier scans in the pg_stat_xact_* counters until it reports its
statistics (idle, at most once a second), so the next transaction does not start from zero; and
a migration's own ROLLBACK takes back the keys it added, as does the end of a file that began a
transaction and never ended it. Each case runs against a control that must fire, on the
embedded server and on FKAUDIT_TEST_PG_BINDIR when the matrix sets it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from fkaudit.cli import main

BASE = (
    "CREATE TABLE parents (id int PRIMARY KEY);\n"
    "CREATE TABLE children (id int PRIMARY KEY, parent_id int, note text);\n"
)


def review(folder: Path, new: str) -> list[tuple[str, int, str]]:
    """(code, line, message) of the FK401, FK701 and FK704 findings of `new` and after."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    args = ["check", "--migrations", str(folder), "--new-since", new, "--format", "json"]
    args += ["--select", "FK401,FK701,FK704", *(["--pg-bindir", bindir] if bindir else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)["findings"]
    return [(f["code"], f["location"]["line"], f["message"]) for f in findings]


def folder(tmp_path: Path, name: str, migration: str) -> Path:
    (tmp_path / name).mkdir()
    (tmp_path / name / "001_base.sql").write_text(BASE)
    (tmp_path / name / "002_change.sql").write_text(migration)
    return tmp_path / name


def test_an_earlier_transactions_scan_is_not_the_next_statements(tmp_path: Path) -> None:
    """The UPDATE reads `children` in its own transaction; the key added with a new column in
    the next one reads nothing (convalidated, no scan): no FK701. The control adds a key to the
    existing column after the same UPDATE, which does read `children`."""
    backfill = "UPDATE children SET note = 'x' WHERE note IS NULL;\n"
    with_column = backfill + "ALTER TABLE children ADD COLUMN other_id int REFERENCES parents;\n"
    existing = backfill + (
        "ALTER TABLE children ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
        "REFERENCES parents;\n"
    )
    assert review(folder(tmp_path, "column", with_column), "002_change.sql") == []
    found = review(folder(tmp_path, "existing", existing), "002_change.sql")
    assert [(code, line) for code, line, _ in found] == [("FK701", 2)]


def test_a_rolled_back_key_was_never_dropped(tmp_path: Path) -> None:
    """A key added then rolled back is gone before the next statement: adding it for real
    later is FK701, not FK704 "adds back ... which line 4 dropped" (the CREATE INDEX)."""
    migration = (
        "BEGIN;\n"
        "ALTER TABLE children ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
        "REFERENCES parents NOT VALID;\n"
        "ROLLBACK;\n"
        "CREATE INDEX children_parent_id_idx ON children (parent_id);\n"
        "ALTER TABLE children ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
        "REFERENCES parents;\n"
    )
    found = review(folder(tmp_path, "rollback", migration), "002_change.sql")
    assert [(code, line) for code, line, _ in found] == [("FK701", 5)]


def test_a_transaction_a_file_leaves_open_is_rolled_back(tmp_path: Path) -> None:
    """psql ends a file's session by disconnecting, which rolls back a transaction the file
    began and never ended; `check --migrations` loads it so. The review does the same: the
    next file adds the same key for real (FK701 there), where a committed key would make it
    fail ("already exists"), and no NOT VALID key is left for the audit (FK401)."""
    (tmp_path / "001_base.sql").write_text(BASE)
    (tmp_path / "002_open.sql").write_text(
        "BEGIN;\nALTER TABLE children ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
        "REFERENCES parents NOT VALID;\n"
    )
    (tmp_path / "003_add.sql").write_text(
        "ALTER TABLE children ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
        "REFERENCES parents;\n"
    )
    found = review(tmp_path, "002_open.sql")
    assert [(code, line) for code, line, _ in found] == [("FK701", 1)]
    assert "003_add.sql" in found[0][2]
