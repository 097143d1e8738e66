"""A migration review's findings in every CI format, at the migration file and line that caused
them (`Report.located`, `fkaudit.delivery`): SARIF, GitHub annotations, JUnit, Markdown.

One small folder: a base migration, then one that adds a validated foreign key to a table that
existed (FK701) and builds its index without CONCURRENTLY (FK703). Lines are found in the file
itself, not written down here.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fkaudit.cli import main
from fkaudit.reporters.markdown_format import escape
from tests.test_formats import assert_valid_sarif

BASE = """\
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
"""
CHANGE = """\
-- orders existed before: the key is validated at once, the index blocks writes
ALTER TABLE orders ADD CONSTRAINT fk_orders_customer
    FOREIGN KEY (customer_id) REFERENCES customers;

CREATE INDEX orders_customer_id_idx ON orders (customer_id);
"""
FOLDER = "db/migrations"
CHANGED = f"{FOLDER}/002_change.sql"


def line_of(text: str, start: str) -> int:
    """The 1-based line of `text` that starts with `start` (a statement's first line)."""
    (number,) = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return number


FK701_LINE = line_of(CHANGE, "ALTER TABLE orders ADD CONSTRAINT")
FK703_LINE = line_of(CHANGE, "CREATE INDEX orders_customer_id_idx")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository checkout as CI has it: the folder, paths relative to the workspace."""
    folder = tmp_path / FOLDER
    folder.mkdir(parents=True)
    (folder / "001_base.sql").write_text(BASE, encoding="utf-8")
    (folder / "002_change.sql").write_text(CHANGE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("FKAUDIT_SIZES_FROM", raising=False)
    return tmp_path


def review(fmt: str, *extra: str) -> Result:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    args = ["check", "--migrations", FOLDER, "--new-since", "002_change.sql", "--format", fmt]
    args += [*extra, *(["--pg-bindir", bindir] if bindir else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output  # two warnings
    return result


def test_sarif_results_point_at_the_statements(workspace: Path) -> None:
    review("sarif", "--output", "fkaudit.sarif")
    log = assert_valid_sarif((workspace / "fkaudit.sarif").read_text(encoding="utf-8"))
    located = {
        r["ruleId"]: (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in log["runs"][0]["results"]
    }
    assert located == {"FK701": (CHANGED, FK701_LINE), "FK703": (CHANGED, FK703_LINE)}


def test_github_annotations_point_at_the_statements(workspace: Path) -> None:
    lines = review("github").output.splitlines()
    for code, line in (("FK701", FK701_LINE), ("FK703", FK703_LINE)):
        (annotation,) = [a for a in lines if f"title={code} " in a]
        assert annotation.startswith(f"::warning file={CHANGED},line={line},title={code} ")


def test_github_job_summary_names_the_statements(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = workspace / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    review("github")
    text = summary.read_text(encoding="utf-8")
    for code, line in (("FK701", FK701_LINE), ("FK703", FK703_LINE)):
        (row,) = [r for r in text.splitlines() if r.startswith(f"| warning | {code} ")]
        assert f"| {escape(f'{CHANGED}:{line}:')} " in row


def test_junit_cases_carry_file_and_line(workspace: Path) -> None:
    root = ET.fromstring(review("junit").output)
    for code, line in (("FK701", FK701_LINE), ("FK703", FK703_LINE)):
        (suite,) = [s for s in root.iter("testsuite") if s.get("name", "").startswith(code)]
        (case,) = [c for c in suite.iter("testcase") if c.find("failure") is not None]
        assert (case.get("name"), case.get("file"), case.get("line")) == (
            "public.orders.fk_orders_customer",
            CHANGED,
            str(line),
        )
        failure = case.find("failure")
        assert failure is not None and failure.get("message", "").startswith(f"{CHANGED}:{line}: ")
        assert (failure.text or "").startswith(f"warning: {CHANGED}:{line}: ")
        # Once: the message already names its statement, the location is not added twice.
        assert (failure.text or "").count(f"{CHANGED}:{line}:") == 1
    passing = [c for c in root.iter("testcase") if c.find("failure") is None]
    assert passing and all(c.get("file") is None for c in passing)


def test_markdown_rows_name_the_statements(workspace: Path) -> None:
    text = review("markdown").output
    for code, line in (("FK701", FK701_LINE), ("FK703", FK703_LINE)):
        (row,) = [r for r in text.splitlines() if r.startswith(f"| warning | {code} ")]
        message = row.split(" | ")[3]
        assert message.startswith(escape(f"{CHANGED}:{line}:") + " ")
        assert message.count(escape(f"{CHANGED}:{line}:")) == 1


def test_json_and_concise_agree(workspace: Path) -> None:
    findings = json.loads(review("json").output)["findings"]
    assert {f["code"]: f["location"] for f in findings} == {
        "FK701": {"path": CHANGED, "line": FK701_LINE},
        "FK703": {"path": CHANGED, "line": FK703_LINE},
    }
    concise = review("concise").output.splitlines()
    assert {line.split(" ")[0] for line in concise if line.split(" ")[1].startswith("FK7")} == {
        f"{CHANGED}:{FK701_LINE}:1:",
        f"{CHANGED}:{FK703_LINE}:1:",
    }


def test_a_baseline_accepts_and_calls_nothing_stale(workspace: Path) -> None:
    """A baseline recorded on the whole folder before the change holds the base's findings,
    which a review leaves out: they are not fixed, so the review lists none as stale. One of
    the new findings, accepted in the baseline, is set aside."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    server = ["--pg-bindir", bindir] if bindir else []
    (workspace / FOLDER / "001_base.sql").write_text(
        BASE + "CREATE TABLE notes (id int, customer_id int REFERENCES customers);\n",
        encoding="utf-8",
    )
    recorded = CliRunner().invoke(
        main, ["baseline", "baseline.json", "--migrations", FOLDER, *server]
    )
    assert recorded.exit_code == 0, recorded.output
    baseline = json.loads((workspace / "baseline.json").read_text(encoding="utf-8"))
    assert {(e["table"], e["rule"]) for e in baseline["findings"]} >= {("notes", "FK101")}
    fk703 = next(f for f in json.loads(review("json").output)["findings"] if f["code"] == "FK703")
    baseline["findings"].append(
        {"rule": "FK703", **{k: fk703[k] for k in ("schema", "table", "constraint", "fingerprint")}}
    )
    (workspace / "baseline.json").write_text(json.dumps(baseline), encoding="utf-8")
    report = json.loads(review("json", "--baseline", "baseline.json").output)
    assert [f["code"] for f in report["findings"]] == ["FK701"]
    assert report["summary"]["baselined"] == 1
    assert report["summary"]["stale_baseline"] == []
