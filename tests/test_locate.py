"""Where findings point in SQL files: the statement that defines their object.

Two files in tests/data, written for these tests in the shape of pg_dump output, reproduce the
layouts that misled the line-based locator (seen on real Rails structure.sql files): a dump
made with `--clean --if-exists`, where every constraint is dropped with `DROP CONSTRAINT IF
EXISTS` long before it is added, and a plain dump, where each statement sits under a `-- Name:
table constraint` comment right after a statement on the same table. Annotations landed on the
DROP and on the comment. The other tests read SQL written here, each aimed at one way a name
can appear without being defined there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.findings import Finding, Severity
from fkaudit.locate import SourceIndex
from fkaudit.reporters import SourceLine

DATA = Path(__file__).resolve().parent / "data"
CLEAN_DUMP = DATA / "clean-if-exists-dump.sql"
NAME_COMMENTS_DUMP = DATA / "name-comments-dump.sql"


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def line_with(lines: list[str], pattern: str) -> int:
    """The 1-based number of the only line matching `pattern`."""
    found = [number for number, text in enumerate(lines, 1) if re.search(pattern, text)]
    assert len(found) == 1, (pattern, found)
    return found[0]


def audit_json(*args: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The JSON findings of `fkaudit check ARGS` run from the repository (paths relative)."""
    config = tmp_path / "fkaudit.toml"
    config.write_text('[rules.FK202]\nconvention = "fk_{table}_{columns}"\n', encoding="utf-8")
    monkeypatch.chdir(DATA.parent.parent)
    result = CliRunner().invoke(main, ["check", *args, "--config", str(config), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    assert findings
    return findings


def test_clean_dump_points_at_the_add_not_the_drop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = audit_json(
        "--schema-file",
        str(CLEAN_DUMP),
        "--select",
        "FK101,FK202",
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )
    lines = lines_of(CLEAN_DUMP)
    assert sorted((f["code"], f["constraint"]) for f in findings) == [
        ("FK101", "fk_rails_c5f5265b68"),
        ("FK202", "fk_rails_6b68d6ea75"),
        ("FK202", "fk_rails_c5f5265b68"),
        ("FK202", "fk_rails_c7aa9b395f"),
    ]
    expected = {"fk_rails_6b68d6ea75": 255, "fk_rails_c5f5265b68": 263, "fk_rails_c7aa9b395f": 271}
    for finding in findings:
        name = finding["constraint"]
        dropped = line_with(lines, rf"DROP CONSTRAINT IF EXISTS {name};")
        added = line_with(lines, rf"^\s+ADD CONSTRAINT {name} FOREIGN KEY")
        assert dropped < added  # the hazard is in the file
        assert added == expected[name]
        assert finding["location"] == {"path": "tests/data/clean-if-exists-dump.sql", "line": added}


def test_dump_comments_naming_the_constraint_are_not_its_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = audit_json(
        "--schema-file",
        str(NAME_COMMENTS_DUMP),
        "--select",
        "FK201",
        tmp_path=tmp_path,
        monkeypatch=monkeypatch,
    )
    lines = lines_of(NAME_COMMENTS_DUMP)
    expected = {
        "batches_opened_by_fkey": 251,
        "samples_batch_id_fkey": 259,
        "samples_technician_id_fkey": 267,
    }
    assert sorted(f["constraint"] for f in findings) == sorted(expected)
    for finding in findings:
        name = finding["constraint"]
        comment = line_with(lines, rf"^-- Name: {finding['table']} {name}; Type: FK CONSTRAINT")
        added = line_with(lines, rf"^\s+ADD CONSTRAINT {name} FOREIGN KEY")
        assert comment < added
        assert added == expected[name]
        assert finding["location"] == {"path": "tests/data/name-comments-dump.sql", "line": added}
    # The hazard: the comment naming the second key of samples comes right after the statement
    # adding the first, so the last ALTER TABLE before it is one on samples.
    second = line_with(lines, r"^-- Name: samples samples_technician_id_fkey;")
    before = [text for text in lines[: second - 1] if text.startswith("ALTER TABLE")]
    assert before[-1] == "ALTER TABLE ONLY public.samples"
    assert "samples_batch_id_fkey" in "\n".join(lines[second - 6 : second - 1])


# -- the locator on SQL text -------------------------------------------------------------------


def finding(
    table: str,
    constraint: str | None = None,
    columns: tuple[str, ...] = (),
    schema: str = "public",
) -> Finding:
    return Finding("FK101", "x", Severity.WARNING, schema, table, constraint, columns, "m")


def index_of(tmp_path: Path, *texts: str) -> SourceIndex:
    """A SourceIndex of files holding `texts`, applied in that order."""
    files = []
    for number, text in enumerate(texts, 1):
        path = tmp_path / f"V{number}__m.sql"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return SourceIndex(files)


def where(index: SourceIndex, f: Finding) -> tuple[str, int] | None:
    found = index.locate(f)
    if found is None:
        return None
    return Path(found.path).name, found.line


def test_names_in_strings_comments_and_bodies_are_not_definitions(tmp_path: Path) -> None:
    sql = """CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (a int);
CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p
$$;
COMMENT ON CONSTRAINT fk ON t IS 'ALTER TABLE t ADD CONSTRAINT fk';
-- ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p;
/* ALTER TABLE t ADD CONSTRAINT fk
   FOREIGN KEY (a) REFERENCES p; */
SELECT E'\\' ALTER TABLE t ADD CONSTRAINT fk';
ALTER TABLE t
    ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p;
"""
    index = index_of(tmp_path, sql)
    assert where(index, finding("t", "fk")) == ("V1__m.sql", 12)


def test_a_key_dropped_and_added_again_is_at_its_last_add(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE t (a int, CONSTRAINT fk FOREIGN KEY (a) REFERENCES p);\n",
        "ALTER TABLE t DROP CONSTRAINT fk;\n",
        "-- re-added\nALTER TABLE ONLY public.t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p;\n",
    )
    assert where(index, finding("t", "fk")) == ("V3__m.sql", 2)


def test_a_dropped_key_falls_back_to_its_column_and_table(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        "CREATE TABLE t (\n  id int,\n  a int,\n  CONSTRAINT fk FOREIGN KEY (a) REFERENCES t\n);\n"
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS fk;\n",
    )
    assert where(index, finding("t", "fk", ("a",))) == ("V1__m.sql", 3)
    assert where(index, finding("t", "fk")) == ("V1__m.sql", 1)


def test_a_renamed_key_is_where_it_was_added(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        "CREATE TABLE t (id int PRIMARY KEY, a int);\n"
        "ALTER TABLE t ADD CONSTRAINT old FOREIGN KEY (a) REFERENCES t;\n",
        "ALTER TABLE t RENAME CONSTRAINT old TO new;\nALTER TABLE t RENAME TO u;\n",
    )
    assert where(index, finding("u", "new")) == ("V1__m.sql", 2)
    assert where(index, finding("u", "old")) == ("V1__m.sql", 1)  # the table
    assert where(index, finding("t", "new")) is None


def test_generated_names_are_found_by_their_columns(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        '''CREATE TABLE p (id int, k int, PRIMARY KEY (id, k));
CREATE TABLE t (
    id int PRIMARY KEY,
    p_id int
        REFERENCES p (id),
    b int, c int,
    "Odd ""x""" text,
    FOREIGN KEY (b, c) REFERENCES p
);
ALTER TABLE t ADD COLUMN d int CONSTRAINT named_d REFERENCES t,
    ADD FOREIGN KEY ("Odd ""x""") REFERENCES t;
''',
    )
    assert where(index, finding("t", "t_p_id_fkey", ("p_id",))) == ("V1__m.sql", 4)
    assert where(index, finding("t", "t_b_c_fkey", ("b", "c"))) == ("V1__m.sql", 8)
    assert where(index, finding("t", "named_d", ("d",))) == ("V1__m.sql", 10)
    assert where(index, finding("t", "t_Odd", ('Odd "x"',))) == ("V1__m.sql", 11)
    # An implied key (FK502) names no constraint the file has: its column's line.
    assert where(index, finding("t", "fk_t_b", ("b",))) == ("V1__m.sql", 6)
    assert where(index, finding("t")) == ("V1__m.sql", 2)


def test_schemas_and_quoting(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        'CREATE SCHEMA app;\nCREATE TABLE app."Mixed" (a int);\nCREATE TABLE plain (a int);\n'
        "CREATE TABLE app.Folded (a int);\n"
        'ALTER TABLE app."Mixed" ADD CONSTRAINT U&"f\\006B" FOREIGN KEY (a) REFERENCES plain;\n',
    )
    assert where(index, finding("Mixed", "fk", schema="app")) == ("V1__m.sql", 5)
    assert where(index, finding("Mixed", "fk", schema="public")) is None
    assert where(index, finding("mixed", schema="app")) is None
    assert where(index, finding("folded", schema="app")) == ("V1__m.sql", 4)
    # Unqualified in the file: any schema's table of that name.
    assert where(index, finding("plain", schema="other")) == ("V1__m.sql", 3)


def test_down_sections_and_unreadable_files_define_nothing(tmp_path: Path) -> None:
    index = index_of(
        tmp_path,
        "-- migrate:up\nCREATE TABLE t (a int);\n-- migrate:down\nCREATE TABLE gone (a int);\n",
        "\\! echo refused by the reader\nCREATE TABLE later (a int);\n",
    )
    assert where(index, finding("t")) == ("V1__m.sql", 2)
    assert index.locate(finding("gone")) is None
    assert index.locate(finding("later")) is None
    assert SourceIndex([tmp_path / "missing.sql"]).locate(finding("t")) is None
    assert isinstance(index.locate(finding("t")), SourceLine)
