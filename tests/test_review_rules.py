"""The change rules (FK701-FK705) on a real server: migration folders reviewed by the CLI.

Each case of tests/review_cases.py is written to a folder and reviewed with `fkaudit check
--migrations DIR --new-since FILE --format json`; its FK7xx findings must be exactly the case's
`expect` markers, at the file and line of the marked statement, and its other findings exactly
the case's `others`. The tests after the cases check what the findings say: the lock modes
fkaudit observed, the tables, and that the safe rewrites they suggest run on the server and
are judged safe by a review of their own.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.psqlscript import Statement, read_script
from fkaudit.rules import ChangeRule, all_rules
from tests.conftest import create_database, drop_database
from tests.review_cases import REVIEW_CASES, ReviewCase

BINDIR = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
CHANGE_CODES = frozenset(rule.code for rule in all_rules() if issubclass(rule, ChangeRule))
FOLDER = "migrations"  # where a case's files go, under the test's working directory


@dataclass(frozen=True)
class Reviewed:
    """A review's outcome: the exit code, the report's findings (JSON), its output."""

    exit_code: int
    findings: list[dict[str, Any]]
    stdout: str
    stderr: str
    major: int

    def change_findings(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["code"] in CHANGE_CODES]

    def one(self, code: str, constraint: str) -> dict[str, Any]:
        matching = [f for f in self.findings if (f["code"], f["constraint"]) == (code, constraint)]
        assert len(matching) == 1, (code, constraint, self.findings)
        return matching[0]


def write_folder(top: Path, files: Sequence[tuple[str, str]]) -> Path:
    folder = top / FOLDER
    folder.mkdir()
    for name, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def review_folder(top: Path, new_since: str, *args: str, fmt: str = "json") -> tuple[int, str, str]:
    """`fkaudit check --migrations migrations --new-since FILE ARGS` run in `top`."""
    return check_folder(top, "--new-since", new_since, "--format", fmt, *args)


def check_folder(top: Path, *args: str) -> tuple[int, str, str]:
    """`fkaudit check --migrations migrations ARGS` run in `top`."""
    command = ["check", "--migrations", FOLDER, *args]
    if BINDIR:
        command += ["--pg-bindir", BINDIR]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(top)  # locations are shown relative to the working directory
        patch.delenv("GITHUB_WORKSPACE", raising=False)  # ... unless this says otherwise
        result = CliRunner().invoke(main, command, env={"COLUMNS": "300"})
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, result.stdout, result.stderr


def review_case(top: Path, case: ReviewCase) -> Reviewed:
    write_folder(top, list(case.files()))
    args: list[str] = []
    if case.transaction != "auto":
        args += ["--transaction", case.transaction]
    if case.config:
        (top / "fkaudit.toml").write_text(case.config, encoding="utf-8")
        args += ["--config", str(top / "fkaudit.toml")]
    code, stdout, stderr = review_folder(top, case.new[0][0], *args)
    document = json.loads(stdout)
    major = int(document["summary"]["server_version"].split(".")[0])
    return Reviewed(code, document["findings"], stdout, stderr, major)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Reviewed]:
    """The review of the case whose name starts with the given text, run once per module: the
    case test and the tests of what its findings say share it."""
    done: dict[str, Reviewed] = {}

    def get(start: str) -> Reviewed:
        (case,) = [case for case in REVIEW_CASES if case.name.startswith(start)]
        if case.name not in done:
            done[case.name] = review_case(tmp_path_factory.mktemp("case"), case)
        return done[case.name]

    return get


def _case_id(case: ReviewCase) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", case.name)[:60].strip("-")


@pytest.mark.parametrize("case", REVIEW_CASES, ids=_case_id)
def test_case(case: ReviewCase, reviewed: Callable[[str], Reviewed]) -> None:
    done = reviewed(case.name)
    if done.major < case.min_version:
        pytest.skip(f"needs PostgreSQL {case.min_version}")
    markers = case.markers()
    statement_lines = _statement_lines(case)
    for marker in markers:  # a marker elsewhere than on a statement would test nothing
        assert marker.line in statement_lines[marker.file], marker
    expected = Counter(
        (m.code, m.constraint, f"{FOLDER}/{m.file}", m.line) for m in markers if m.fires
    )
    found = Counter(
        (f["code"], f["constraint"], f["location"]["path"], f["location"]["line"])
        for f in done.change_findings()
    )
    assert found == expected
    for marker in markers:
        if not marker.fires:
            at = (marker.code, f"{FOLDER}/{marker.file}", marker.line)
            assert not [
                f
                for f in done.change_findings()
                if (f["code"], f["location"]["path"], f["location"]["line"]) == at
            ], marker
    others = Counter(
        (f["code"], f["constraint"] or f"[{f['table']}]")
        for f in done.findings
        if f["code"] not in CHANGE_CODES
    )
    assert others == Counter(case.others)
    for finding in done.change_findings():  # the message says where, whatever the format
        where = f"{finding['location']['path']}:{finding['location']['line']}: "
        assert finding["message"].startswith(where), finding
    failing = [f for f in done.findings if f["severity"] in ("warning", "error")]
    assert done.exit_code == (1 if failing else 0)  # --fail-on warning, the default


def _statement_lines(case: ReviewCase) -> dict[str, set[int]]:
    """The first line of every statement of each new file, as fkaudit splits the file."""
    files = dict(case.files())
    return {
        name: {
            step.line
            for step in read_script(Path(name), files[name]).steps
            if isinstance(step, Statement)
        }
        for name, _ in case.new
    }


# -- what the findings say -------------------------------------------------------------------

# A base with a schema and names that need quoting, so that the rewrite's SQL is tested too.
_QUOTED_BASE = """\
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY);
INSERT INTO shop.customers VALUES (1);
CREATE TABLE "Orders" (id int PRIMARY KEY, "Customer Id" int);
CREATE INDEX "Orders by customer" ON "Orders" ("Customer Id");
INSERT INTO "Orders" VALUES (1, 1), (2, NULL);
"""
_ADD_KEY = (
    'ALTER TABLE "Orders" ADD CONSTRAINT "Orders customer" FOREIGN KEY ("Customer Id")\n'
    "    REFERENCES shop.customers ON DELETE RESTRICT;\n"
)
_SHARE_ROW_EXCLUSIVE = "ShareRowExclusiveLock"  # what ADD FOREIGN KEY takes on both tables


@pytest.fixture
def copy_of(server_dsn: str) -> Iterator[Callable[[str], str]]:
    """A fresh database holding the given SQL (a base, as the review loaded it); its DSN."""
    made: list[str] = []

    def make(script: str) -> str:
        dsn = create_database(server_dsn)
        made.append(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(script.encode())
        return dsn

    yield make
    for dsn in made:
        drop_database(server_dsn, dsn)


def _run(dsn: str, statements: str) -> None:
    """Run `statements` one by one in autocommit, as psql runs a file."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in read_script(Path("x.sql"), statements).steps:
            assert isinstance(statement, Statement)
            conn.execute(statement.text)


def _key(dsn: str, name: str) -> tuple[bool, str]:
    """(validated, definition) of the foreign key `name`."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT convalidated, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conparentid = 0 AND conname = %s",
            [name],
        ).fetchone()
    assert row is not None, name
    return row[0], row[1]


def test_fk701_names_the_observed_locks_and_its_rewrite_runs(
    tmp_path: Path, copy_of: Callable[[str], str]
) -> None:
    new = "-- customers now required to exist\n" + _ADD_KEY
    write_folder(tmp_path, [("001_base.sql", _QUOTED_BASE), ("002_key.sql", new)])
    _, stdout, _ = review_folder(tmp_path, "002_key.sql")
    (finding,) = json.loads(stdout)["findings"]  # indexed: FK701 alone
    line = 2  # the statement starts after the comment
    assert finding["code"] == "FK701" and finding["constraint"] == "Orders customer"
    assert finding["location"] == {"path": f"{FOLDER}/002_key.sql", "line": line}
    assert finding["columns"] == ["Customer Id"]
    locks = finding["details"]["locks"]
    assert set(locks) == {"public.Orders", "shop.customers"}
    for table, modes in locks.items():  # the strongest mode held, as the message names it
        assert _SHARE_ROW_EXCLUSIVE in modes, table
        assert not {"ExclusiveLock", "AccessExclusiveLock"} & set(modes), table
    assert (
        "PostgreSQL read all of public.Orders holding SHARE ROW EXCLUSIVE on it and SHARE ROW "
        "EXCLUSIVE on shop.customers (observed in pg_locks), blocking writes"
    ) in finding["message"]

    add, validate = finding["suggestion"].splitlines()
    assert add.startswith('ALTER TABLE "public"."Orders" ADD CONSTRAINT "Orders customer" ')
    assert add.endswith(" NOT VALID;")
    assert validate == 'ALTER TABLE "public"."Orders" VALIDATE CONSTRAINT "Orders customer";'
    # The rewrite builds the same key as the migration did, validated, on the same rows.
    rewritten, original = copy_of(_QUOTED_BASE), copy_of(_QUOTED_BASE)
    _run(rewritten, finding["suggestion"])
    _run(original, _ADD_KEY)
    assert _key(rewritten, "Orders customer") == _key(original, "Orders customer")
    assert _key(rewritten, "Orders customer")[0] is True

    # And a review of the rewrite, in place of the statement, finds nothing.
    again = tmp_path / "again"
    again.mkdir()
    write_folder(again, [("001_base.sql", _QUOTED_BASE), ("002_key.sql", finding["suggestion"])])
    assert json.loads(review_folder(again, "002_key.sql")[1])["findings"] == []

    # The concise line points at the statement too, and does not say where twice.
    _, concise, _ = review_folder(tmp_path, "002_key.sql", fmt="concise")
    (row,) = [row for row in concise.splitlines() if row.startswith(f"{FOLDER}/")]
    assert row.startswith(f"{FOLDER}/002_key.sql:{line}:1: FK701 adds ")


def test_fk701_in_a_transaction_names_the_locks_of_the_transaction(
    reviewed: Callable[[str], Reviewed],
) -> None:
    """d_p is added inside BEGIN/COMMIT: the same locks, observed before COMMIT released them."""
    done = reviewed("FK701 a validated key")
    for name, child in (("c_p", "public.c"), ("d_p", "public.d")):
        finding = done.one("FK701", name)
        assert _SHARE_ROW_EXCLUSIVE in finding["details"]["locks"][child]
        assert _SHARE_ROW_EXCLUSIVE in finding["details"]["locks"]["public.p"]
        assert f"read all of {child} holding SHARE ROW EXCLUSIVE on it" in finding["message"]


def test_fk701_on_a_new_column_with_a_default(
    reviewed: Callable[[str], Reviewed], copy_of: Callable[[str], str]
) -> None:
    """`ADD COLUMN ... DEFAULT 1 REFERENCES p` fills and checks every row under ACCESS
    EXCLUSIVE: the rewrite adds the column first, then the key NOT VALID, then validates it."""
    from tests.review_cases import _TABLES

    finding = reviewed("FK701 a validated key").one("FK701", "e_p")
    assert "AccessExclusiveLock" in finding["details"]["locks"]["public.e"]
    assert "holding ACCESS EXCLUSIVE on it" in finding["message"]
    assert "blocking writes (and reads of public.e)" in finding["message"]
    assert "the statement also altered public.e" in finding["message"]
    comment, add, validate = finding["suggestion"].splitlines()
    assert comment.startswith("-- ") and add.endswith(" NOT VALID;") and "VALIDATE" in validate
    base = dedent(_TABLES)
    with_rows = base + "INSERT INTO e VALUES (1), (2);\n"
    rewritten, original = copy_of(with_rows), copy_of(with_rows)
    _run(rewritten, "ALTER TABLE e ADD COLUMN p_id int DEFAULT 1;\n" + finding["suggestion"])
    _run(original, "ALTER TABLE e ADD COLUMN p_id int DEFAULT 1 CONSTRAINT e_p REFERENCES p;")
    assert _key(rewritten, "e_p") == _key(original, "e_p")


def test_fk702_names_why_and_the_locks(reviewed: Callable[[str], Reviewed]) -> None:
    done = reviewed("FK702 validation in the transaction")
    added = done.one("FK702", "c_p")
    assert "validates c_p in the transaction that added it" in added["message"]
    assert "public.c stays locked in SHARE ROW EXCLUSIVE" in added["message"]
    # ADD ... NOT VALID's lock, still held, and VALIDATE's own
    assert {_SHARE_ROW_EXCLUSIVE, "ShareUpdateExclusiveLock"} <= set(
        added["details"]["locks"]["public.c"]
    )
    assert added["suggestion"] == 'ALTER TABLE "public"."c" VALIDATE CONSTRAINT "c_p";'
    altered = done.one("FK702", "f_p")
    assert "a transaction that also holds ACCESS EXCLUSIVE on public.f" in altered["message"]
    assert "AccessExclusiveLock" in altered["details"]["locks"]["public.f"]


def test_fk703_names_the_lock_and_its_concurrent_build_runs(
    reviewed: Callable[[str], Reviewed], copy_of: Callable[[str], str]
) -> None:
    from tests.review_cases import REVIEW_CASES

    case = next(c for c in REVIEW_CASES if c.name.startswith("FK703 a plain"))
    done = reviewed(case.name)
    finding = done.one("FK703", "c_p")
    assert finding["details"]["index"] == "c_p_id"
    assert "ShareLock" in finding["details"]["locks"]["public.c"]  # CREATE INDEX's lock
    assert "public.c was held in SHARE (observed in pg_locks)" in finding["message"]
    assert done.one("FK703", "g_p")["message"].endswith(
        "build it CONCURRENTLY in a migration that runs outside a transaction"
    )
    suggestion = finding["suggestion"]
    assert suggestion.startswith("CREATE INDEX CONCURRENTLY c_p_id ON public.c ")
    base = dict(case.files())["001_base.sql"]
    concurrent, plain = copy_of(base), copy_of(base)
    _run(concurrent, suggestion)  # autocommit: CONCURRENTLY runs outside a transaction
    _run(plain, "CREATE INDEX c_p_id ON c (p_id);")
    assert _index(concurrent, "c_p_id") == _index(plain, "c_p_id")


def _index(dsn: str, name: str) -> tuple[bool, str]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [name],
        ).fetchone()
    assert row is not None, name
    return row[0], row[1]


def test_fk704_names_what_it_introduces_and_lists_it_once(
    reviewed: Callable[[str], Reviewed],
) -> None:
    from tests.review_cases import REVIEW_CASES

    case = next(c for c in REVIEW_CASES if c.name.startswith("FK704 a new unindexed"))
    done = reviewed(case.name)
    introduced = {"n_p": "FK101", "c_p": "FK101", "d_p": "FK301", "h_p": "FK301"}
    fingerprints = {f["fingerprint"] for f in done.findings}
    for name, code in introduced.items():
        finding = done.one("FK704", name)
        assert finding["details"]["introduced"] == code
        assert f": introduces {code} " in finding["message"]
        assert finding["details"]["replaces"] not in fingerprints  # not listed twice
    assert done.one("FK704", "n_p")["fix"].startswith("CREATE INDEX CONCURRENTLY")
    # The key added back names the statement that dropped it.
    (new_name, text) = case.new[0]
    lines = dedent(text).lstrip("\n").splitlines()
    dropped = 1 + next(i for i, line in enumerate(lines) if "DROP CONSTRAINT f_p" in line)
    readded = done.one("FK704", "f_p")
    assert f"which {FOLDER}/{new_name}:{dropped} dropped (f_p)" in readded["message"]
    tree = reviewed("FK705 must not").one("FK704", "tree_parent")
    assert tree["details"]["introduced"] == "FK303"


def test_fk705_names_the_widest_cascade_and_the_cycle(
    reviewed: Callable[[str], Reviewed],
) -> None:
    done = reviewed("FK705 a new cascade")
    cycle = done.one("FK705", "a_b")
    assert cycle["details"]["cycle"] is True
    assert "closes a cascade cycle through public.a and public.b" in cycle["message"]
    deep = done.one("FK705", "w_v")
    chain = ["public.s", "public.t", "public.u", "public.v", "public.w"]  # r's, with w
    assert deep["details"] == {"start": "public.r", "reached_tables": chain, "cycle": False}
    assert (
        f"makes deleting one row of public.r cascade to {len(chain)} tables (more than 4)"
        in deep["message"]
    )
    configured = reviewed("FK705 max_tables from the configuration file: 2").one("FK705", "w_z")
    assert configured["details"]["reached_tables"] == ["public.w", "public.y", "public.z"]
    assert "cascade to 3 tables (more than 2)" in configured["message"]


def test_fk701_on_a_partitioned_table_names_the_partitions_read(
    reviewed: Callable[[str], Reviewed], copy_of: Callable[[str], str]
) -> None:
    from tests.review_cases import _PARTITIONED

    done = reviewed("FK701 FK703 FK705 a partitioned")
    finding = done.one("FK701", "c_p")
    partitions = ", ".join(f"public.c_{n}" for n in range(1, 5))  # as _PARTITIONED made them
    message = finding["message"]
    assert f"read all of {partitions} holding SHARE ROW EXCLUSIVE on public.c" in message
    assert _SHARE_ROW_EXCLUSIVE in finding["details"]["locks"]["public.c"]
    if done.major < 18:  # no NOT VALID key on a partitioned table before 18: no rewrite
        assert finding["suggestion"] is None
        assert "before PostgreSQL 18: to each partition of public.c" in finding["message"]
    else:
        rewritten = copy_of(dedent(_PARTITIONED))
        _run(rewritten, finding["suggestion"])
        assert _key(rewritten, "c_p")[0] is True
    # A partitioned index cannot be built concurrently either: no rewrite.
    assert done.one("FK703", "c_p")["suggestion"] is None


def test_only_a_review_counts_the_change_rules_as_run(tmp_path: Path) -> None:
    """An audit cannot fire FK7xx: listed among its rules, they would read as passed checks
    (JUnit test cases, `by_rule` zeros) and make a baseline's FK7xx entries look stale."""
    write_folder(tmp_path, [("001_base.sql", _QUOTED_BASE), ("002_key.sql", _ADD_KEY)])
    audit = json.loads(check_folder(tmp_path, "--format", "json")[1])["summary"]
    assert audit["rules"] and not CHANGE_CODES & set(audit["rules"])
    assert not CHANGE_CODES & set(audit["by_rule"])
    junit = check_folder(tmp_path, "--format", "junit")[1]
    assert "FK70" not in junit and "FK101" in junit
    review = json.loads(review_folder(tmp_path, "002_key.sql")[1])["summary"]
    assert set(review["rules"]) >= CHANGE_CODES and set(audit["rules"]) <= set(review["rules"])


def test_excluded_tables_get_no_change_findings(tmp_path: Path) -> None:
    """`--exclude-table` (or the configuration's `exclude`) leaves a table out of a review as it
    leaves it out of an audit: FK701 and FK704 alike, and the other tables still judged."""
    base = "CREATE TABLE p (id int PRIMARY KEY);\n"
    base += "CREATE TABLE a (p_id int);\nCREATE TABLE b (p_id int);\n"
    change = (
        "ALTER TABLE a ADD CONSTRAINT a_p FOREIGN KEY (p_id) REFERENCES p;\n"
        "ALTER TABLE b ADD CONSTRAINT b_p FOREIGN KEY (p_id) REFERENCES p;\n"
    )
    write_folder(tmp_path, [("001_base.sql", base), ("002_keys.sql", change)])
    _, everything, _ = review_folder(tmp_path, "002_keys.sql")
    _, left, _ = review_folder(tmp_path, "002_keys.sql", "--exclude-table", "public.a")
    tables = {
        (f["code"], f["table"]) for f in json.loads(everything)["findings"] if f["code"] >= "FK7"
    }
    assert tables == {("FK701", "a"), ("FK701", "b"), ("FK704", "a"), ("FK704", "b")}
    kept = {(f["code"], f["table"]) for f in json.loads(left)["findings"]}
    assert kept == {("FK701", "b"), ("FK704", "b")}


def test_fk702_on_the_referenced_table_names_its_lock(
    reviewed: Callable[[str], Reviewed],
) -> None:
    """ADD COLUMN on p holds ACCESS EXCLUSIVE on p to the end of its transaction, so the
    validation's scan of c runs while nobody may read or write p."""
    found = reviewed("FK702 on the referenced table").one("FK702", "c_p")
    assert "a transaction that also holds ACCESS EXCLUSIVE on public.p:" in found["message"]
    assert "public.p stays locked in ACCESS EXCLUSIVE (observed in pg_locks)" in found["message"]
    assert "the scan of public.c blocks writes (and reads of public.p)" in found["message"]
    assert "AccessExclusiveLock" in found["details"]["locks"]["public.p"]
    assert "AccessExclusiveLock" not in found["details"]["locks"]["public.c"]
