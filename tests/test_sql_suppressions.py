"""`-- fkaudit:ignore` comments in schema files and migrations, on a throwaway server.

One schema holds a table per way of writing the comment; each test audits it (or a migration
folder) with the CLI and checks what was suppressed, what FK001 says of the stale and
malformed directives, and the warning for a directive attached to nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fkaudit.cli import main

SCHEMA = """\
CREATE TABLE p (id int PRIMARY KEY);

-- Above a two-line ALTER TABLE (pg_dump's layout): its key.
CREATE TABLE a (p_id int);
-- fkaudit:ignore FK101 -- a holds ten rows
ALTER TABLE ONLY a
    ADD CONSTRAINT a_p_fk FOREIGN KEY (p_id) REFERENCES p;

-- After an unnamed column reference: the key PostgreSQL named b_p_id_fkey, not b_q_id_fkey.
CREATE TABLE b (
    id int,
    p_id int REFERENCES p,  -- fkaudit:ignore FK101
    q_id int REFERENCES p
);

-- Above CREATE TABLE: the whole table.
-- fkaudit:ignore unindexed-foreign-key
CREATE TABLE c (x int REFERENCES p, y int REFERENCES p);

-- Stale: the key has its index.
CREATE TABLE d (
    p_id int
        CONSTRAINT d_p_fk REFERENCES p  -- fkaudit:ignore FK101
);
CREATE INDEX ON d (p_id);

-- Malformed: suppresses nothing.
ALTER TABLE a ADD CONSTRAINT a_p2_fk FOREIGN KEY (p_id) REFERENCES p; -- fkaudit:ignore FK1O1

-- fkaudit:ignore FK101

CREATE TABLE e (p_id int REFERENCES p);

-- Neither is a directive: prose that mentions fkaudit:ignore, and a string.
SELECT '-- fkaudit:ignore FK101';
DO $$ BEGIN -- fkaudit:ignore FK101
END $$;
"""


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line of `text` containing `marker`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(found) == 1, (marker, found)
    return found[0]


def check(*args: str) -> tuple[Result, dict[str, Any]]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    result = CliRunner().invoke(
        main,
        [
            "check",
            *args,
            "--select",
            "FK101,FK001",
            "--show-suppressed",
            "--format",
            "json",
            *(["--pg-bindir", bindir] if bindir else []),
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(result.stdout)


def objects(findings: list[dict[str, Any]], code: str) -> set[str]:
    return {f"{f['table']}.{f['constraint']}" for f in findings if f["code"] == code}


@pytest.fixture(scope="module")
def schema_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, dict[str, Any]]:
    path = tmp_path_factory.mktemp("schema") / "structure.sql"
    path.write_text(SCHEMA, encoding="utf-8")
    result, report = check("--schema-file", str(path))
    return path, result, report


def test_directives_suppress_what_they_are_on_or_above(
    schema_run: tuple[Path, Result, dict[str, Any]],
) -> None:
    _, _, report = schema_run
    assert objects(report["suppressed"], "FK101") == {
        "a.a_p_fk",
        "b.b_p_id_fkey",
        "c.c_x_fkey",
        "c.c_y_fkey",
    }
    assert objects(report["findings"], "FK101") == {"a.a_p2_fk", "b.b_q_id_fkey", "e.e_p_id_fkey"}
    assert report["summary"]["suppressed"] == 4


def test_fk001_reports_stale_and_malformed_directives_with_their_line(
    schema_run: tuple[Path, Result, dict[str, Any]],
) -> None:
    path, _, report = schema_run
    stale = {f["constraint"]: f for f in report["findings"] if f["code"] == "FK001"}
    assert set(stale) == {"d_p_fk", "a_p2_fk"}
    where = f"{path.resolve().as_posix()}:{line_of(SCHEMA, 'CONSTRAINT d_p_fk')}"
    assert stale["d_p_fk"]["message"] == (
        f"the fkaudit:ignore comment at {where} (on constraint d_p_fk on public.d) ignores "
        "FK101, but nothing fires there any more: remove the directive"
    )
    assert stale["d_p_fk"]["details"]["source"] == where
    assert "'FK1O1' is not a rule code" in stale["a_p2_fk"]["message"]
    # The file's line is where FK001 points too: the key's definition.
    assert stale["d_p_fk"]["location"]["line"] == line_of(SCHEMA, "CONSTRAINT d_p_fk")


def test_a_directive_attached_to_nothing_is_said(
    schema_run: tuple[Path, Result, dict[str, Any]],
) -> None:
    path, result, _ = schema_run
    lone = [n for n, line in enumerate(SCHEMA.splitlines(), 1) if line == "-- fkaudit:ignore FK101"]
    warnings = [line for line in result.stderr.splitlines() if "suppresses nothing" in line]
    assert warnings == [
        f"fkaudit: warning: {path.resolve().as_posix()}:{lone[0]}: this fkaudit:ignore "
        "suppresses nothing: put it on, or directly above, the line that defines a foreign key "
        "(ADD CONSTRAINT, REFERENCES) or a CREATE TABLE"
    ]


def test_migrations_attach_directives_in_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a migration folder, a key added by a later migration; paths relative to the
    working directory, as annotations show them."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "V1__tables.sql").write_text(
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (p_id int, q_id int);\n",
        encoding="utf-8",
    )
    (folder / "V2__keys.sql").write_text(
        "ALTER TABLE t\n"
        "    ADD FOREIGN KEY (p_id) REFERENCES p,  -- fkaudit:ignore FK101\n"
        "    ADD FOREIGN KEY (q_id) REFERENCES p;\n"
        "-- fkaudit:ignore FK102\n"
        "CREATE INDEX ON t (q_id);\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result, report = check("--migrations", "migrations")
    assert objects(report["suppressed"], "FK101") == {"t.t_p_id_fkey"}
    assert objects(report["findings"], "FK101") == set()
    assert objects(report["findings"], "FK001") == set()
    assert "migrations/V2__keys.sql:4: this fkaudit:ignore suppresses nothing" in result.stderr
