"""Every output format, against golden files, plus the checks each format's consumer makes.

The golden report is the audit of tests/golden/schema.sql on the test server, with what varies
between runs (database name, server version, elapsed time) pinned, a suppressed finding shown,
and a baseline that accepts one finding and holds one stale entry — so every section of every
format appears. `FKAUDIT_UPDATE_GOLDEN=1 pytest tests/test_formats.py` rewrites the files after
an intended change; review the diff.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

import fkaudit
from fkaudit.baseline import compare
from fkaudit.escape import printable
from fkaudit.findings import Finding
from fkaudit.locate import locate_all
from fkaudit.report import BaselineEntry, Report
from fkaudit.reporters import FORMATS, RenderOptions, render_text, renderer
from fkaudit.reporters.github_format import command
from fkaudit.reporters.markdown_format import code_block, escape

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
SCHEMA = GOLDEN / "schema.sql"
EXTENSIONS = {
    "table": "txt",
    "concise": "concise.txt",
    "json": "json",
    "sarif": "sarif",
    "junit": "xml",
    "github": "github.txt",
    "markdown": "md",
    "gitlab": "gitlab.json",
}
# The OASIS SARIF 2.1.0 schema, kept in the repository (tests/data/README.md says whence).
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def golden_report(server_dsn: str) -> Report:
    from tests.conftest import create_database, drop_database

    dsn = create_database(server_dsn)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA.read_text(encoding="utf-8"))
        report = fkaudit.audit(dsn)
    finally:
        drop_database(server_dsn, dsn)
    accepted = next(f for f in report.findings if f.code == "FK301")
    stale = BaselineEntry("public", "orders", "orders_gone_fk", "FK101", "0123456789abcdef")
    report = compare(report, [BaselineEntry.of(accepted), stale], lambda entry: True)
    return replace(report, database="shop", server_version="18.0", elapsed_seconds=0.25)


@pytest.fixture(scope="module")
def golden_options(golden_report: Report) -> RenderOptions:
    everything = (*golden_report.findings, *golden_report.baselined, *golden_report.suppressed)
    relative = SCHEMA.relative_to(REPO)
    cwd = Path.cwd()
    os.chdir(REPO)  # locations are shown relative to the working directory (the repository)
    try:
        locations = locate_all(everything, [relative])
    finally:
        os.chdir(cwd)
    return RenderOptions(show_suppressed=True, artifact=relative.as_posix(), locations=locations)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str, golden_report: Report, golden_options: RenderOptions) -> None:
    rendered = render_text(fmt, golden_report, golden_options)
    golden = GOLDEN / f"report.{EXTENSIONS[fmt]}"
    if os.environ.get("FKAUDIT_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with FKAUDIT_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")


def test_golden_table_wide_and_coloured(
    golden_report: Report, golden_options: RenderOptions
) -> None:
    """The table as a 120-column colour terminal shows it: names in a column of their own,
    statements after their labels, severity colours (the 80-column plain one is report.txt)."""
    rendered = render_text("table", golden_report, replace(golden_options, width=120, color=True))
    golden = GOLDEN / "report.wide-color.txt"
    if os.environ.get("FKAUDIT_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with FKAUDIT_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")
    assert "\x1b[33mwarning\x1b[0m" in rendered and max(map(len, rendered.splitlines())) > 100


def test_the_golden_report_covers_every_section(golden_report: Report) -> None:
    """Guards the golden files' reach: a schema edit must not quietly drop a section."""
    assert {f.code for f in golden_report.findings} == {"FK101", "FK401"}
    assert [f.code for f in golden_report.baselined] == ["FK301"]
    assert [f.code for f in golden_report.suppressed] == ["FK201"]
    assert len(golden_report.stale_baseline) == 1


# -- SARIF ---------------------------------------------------------------------------------


def sarif_validator() -> Any:
    try:
        import jsonschema
    except ImportError:  # in the test group: its absence must fail, not skip
        pytest.fail("jsonschema is not installed: pip install -e . --group test")
    if not SARIF_SCHEMA.exists():
        pytest.fail(
            f"the SARIF 2.1.0 schema is missing at {SARIF_SCHEMA}: SARIF output cannot be "
            "validated (it is part of the repository: a partial checkout?)"
        )
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    return log


def test_sarif_of_the_golden_report(golden_report: Report, golden_options: RenderOptions) -> None:
    log = assert_valid_sarif(render_text("sarif", golden_report, golden_options))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(golden_report.rules_run)
    for rule in rules:
        known = fkaudit.rules.rule_by_code(rule["id"])
        assert known is not None, rule["id"]
        assert rule["help"]["text"] == known.documentation()
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == (
            "tests/golden/schema.sql"
        )
        assert location["physicalLocation"]["region"]["startLine"] > 1
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("public.")
        assert len(result["partialFingerprints"]["fkaudit/v1"]) == 16
    states = {r["ruleId"]: r.get("baselineState") for r in run["results"]}
    assert states["FK301"] == "unchanged" and states["FK401"] == "new"
    assert [r["suppressions"][0]["kind"] for r in run["results"] if "suppressions" in r] == [
        "inSource"
    ]


def test_sarif_results_are_the_encoded_structure(golden_report: Report) -> None:
    """Results are written by filling a template in; it must give the encoder's own text of
    `_result` for every shape of result and every kind of value, hostile names included."""
    from fkaudit.escape import printable_json
    from fkaudit.reporters import SourceLine
    from fkaudit.reporters.sarif_format import _VALUES, _result, _result_line, _values

    hostile = replace(golden_report.findings[0], constraint='{0}"\u2028\\\x85', columns=())
    findings = (*golden_report.findings, *golden_report.baselined, hostile)
    where = SourceLine("dir/a b.sql", 7)
    for finding in findings:
        values = dict(zip(_VALUES, _values(finding, finding.fingerprint, where), strict=True))
        for rule_index in (None, 0, 3):
            for state in (None, "new", "unchanged"):
                for suppressed in (False, True):
                    result = _result(values, rule_index, state, suppressed)
                    expected = printable_json(json.dumps(result, ensure_ascii=False))
                    line = _result_line(
                        finding, finding.fingerprint, where, rule_index, state, suppressed
                    )
                    assert line == expected


def test_sarif_of_the_demo_schema_validates(tmp_path: Path) -> None:
    """The acceptance check: `fkaudit check --schema-file` of the demo shop, SARIF to a file."""
    from click.testing import CliRunner

    from fkaudit.cli import main

    shop = REPO / "fkaudit" / "demo" / "shop.sql"
    out = tmp_path / "shop.sarif"
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--schema-file",
            str(shop),
            "--format",
            "sarif",
            "--output",
            str(out),
            *_bindir_args(),
        ],
    )
    assert result.exit_code == 1, result.output
    assert " findings (" in result.output  # the table went to stdout
    log = assert_valid_sarif(out.read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert len({r["ruleId"] for r in results}) >= 10
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("fkaudit/demo/shop.sql") and not uri.startswith("/")
        assert r["partialFingerprints"]["fkaudit/v1"]


def _bindir_args() -> list[str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


# -- JUnit ---------------------------------------------------------------------------------


def test_junit_has_a_case_per_rule_and_foreign_key(
    golden_report: Report, golden_options: RenderOptions
) -> None:
    root = ET.fromstring(render_text("junit", golden_report, golden_options))
    suites = {s.get("name", "").split()[0]: s for s in root.iter("testsuite")}
    assert set(suites) == set(golden_report.rules_run)
    fks = len(golden_report.foreign_keys)
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert len(cases) >= fks and int(suite.get("tests", -1)) == len(cases)
        assert int(suite.get("failures", -1)) == len(
            [c for c in cases if c.find("failure") is not None]
        )
    failed = {
        (s, c.get("name"))
        for s, suite in suites.items()
        for c in suite.iter("testcase")
        if c.find("failure") is not None
    }
    expected = {(f.code, printable(f.qualified_object)) for f in golden_report.findings}
    assert failed == expected
    # The baselined finding passes, and says why.
    accepted = next(c for c in suites["FK301"].iter("testcase") if c.find("system-out") is not None)
    assert "accepted by the baseline" in (accepted.findtext("system-out") or "")
    assert int(root.get("failures", -1)) == len(expected)


def test_junit_reports_errors_and_incomplete_scans(golden_report: Report) -> None:
    from fkaudit.report import RuleError

    broken = replace(
        golden_report,
        errors=(RuleError("FK101", 'crashed: "x" <y>\nz'),),
        incomplete=(RuleError("FK501", "scan of c timed out"),),
    )
    root = ET.fromstring(render_text("junit", broken))
    assert (root.get("errors"), root.get("skipped")) == ("1", "1")
    error = root.find("testsuite/testcase/error")
    assert error is not None and error.get("message") == 'crashed: "x" <y>\\nz'
    skipped = root.find("testsuite/testcase/skipped")
    assert skipped is not None and skipped.get("message") == "scan of c timed out"


def test_junit_fail_level_follows_fail_on(golden_report: Report) -> None:
    from fkaudit.findings import Severity

    strict = render_text("junit", golden_report, RenderOptions(fail_on=Severity.ERROR))
    assert ET.fromstring(strict).get("failures") == "0"  # the findings left are warnings


def test_junit_attributes_are_quoted_as_quoteattr_does() -> None:
    """`_attr` skips `quoteattr` for plain values; any other value gets the same spelling."""
    import random
    from xml.sax.saxutils import quoteattr

    from fkaudit.reporters.junit_format import _attr, xml_text

    entities = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
    rng = random.Random(7)
    for _ in range(5000):
        value = "".join(rng.choice("ab &<>\"'\n\r\t\x01\ufffe") for _ in range(rng.randint(0, 8)))
        assert _attr(value) == quoteattr(xml_text(value), entities), repr(value)


# -- GitHub and Markdown -------------------------------------------------------------------


def test_github_commands_cannot_be_broken_out_of() -> None:
    line = command("error", "a\nb::c%", file="x,y.sql", line=3, title="T: 1, 2")
    assert line == "::error file=x%2Cy.sql,line=3,title=T%3A 1%2C 2::a%0Ab::c%25"
    assert "\n" not in line


def test_github_format_writes_the_job_summary(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from fkaudit.cli import main

    conn.execute("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(main, ["check", db, "--format", "github"])
    assert result.exit_code == 1
    assert result.output.startswith("::warning title=FK101 unindexed-foreign-key::public.c.")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### fkaudit: 2 finding(s)")  # appended, not replaced
    assert "| warning | FK101 unindexed\\-foreign\\-key | public\\.c\\.c\\_p\\_id\\_fkey |" in text


def test_markdown_escapes_names() -> None:
    assert escape("a|b<script>`x`\n*y*") == "a\\|b\\<script\\>\\`x\\`\\\\n\\*y\\*"
    assert code_block("SELECT '```'") == "````sql\nSELECT '```'\n````"


def test_markdown_is_compact_for_many_findings(golden_report: Report) -> None:
    from fkaudit.reporters.markdown_format import MAX_ROWS

    many = replace(golden_report, findings=golden_report.findings * 60)
    text = render_text("markdown", many)
    assert text.count("\n| ") == MAX_ROWS + 1  # the header row and MAX_ROWS findings
    assert f"and {len(many.findings) - MAX_ROWS} more" in text


def test_markdown_cuts_the_least_severe_findings(golden_report: Report) -> None:
    """Rows are cut by severity, not table order: an error after 100 infos is still shown,
    and what is left out is counted per severity."""
    from fkaudit.findings import Severity
    from fkaudit.reporters.markdown_format import MAX_ROWS

    everything = (*golden_report.findings, *golden_report.baselined)
    error = next(f for f in everything if f.severity is Severity.ERROR)
    warning = next(f for f in golden_report.findings if f.severity is Severity.WARNING)
    infos = [replace(warning, severity=Severity.INFO, table=f"t{n:03}") for n in range(150)]
    warnings = [replace(warning, table=f"w{n:03}") for n in range(3)]
    findings = (*infos, *warnings, replace(error, table="zzz"))  # table order: the error last
    text = render_text("markdown", replace(golden_report, findings=findings))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    severities = [row.split(" | ")[0].strip("|* ") for row in rows[1:]]
    assert severities == ["error"] + ["warning"] * 3 + ["info"] * (MAX_ROWS - 4)
    assert "\\.zzz\\." in rows[1]  # escaped dots of public.zzz.<constraint>
    left = len(findings) - MAX_ROWS
    assert f"… and {left} more (0 error" not in text  # zero counts are not listed
    assert f"… and {left} more ({left} info): run fkaudit for the full report." in text


def test_output_writes_the_format_and_prints_the_table(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from fkaudit.cli import main

    conn.execute("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)")
    for fmt in set(FORMATS) - {"github"}:
        out = tmp_path / f"report.{fmt}"
        result = CliRunner().invoke(main, ["check", db, "--format", fmt, "--output", str(out)])
        assert result.exit_code == 1, result.output
        assert result.stdout.startswith("public.c\n")  # the table
        written = out.read_text(encoding="utf-8")
        assert "c_p_id_fkey" in written and written.endswith("\n")
    commands = CliRunner().invoke(main, ["check", db, "--format", "github", "--output", "x"])
    assert commands.exit_code == 2 and "act only on stdout" in commands.output
    unwritable = tmp_path / "missing-dir" / "x.sarif"
    result = CliRunner().invoke(
        main, ["check", db, "--format", "sarif", "--output", str(unwritable)]
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output and "Traceback" not in result.output


# -- Streaming -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_written_in_chunks_of_whole_lines(
    fmt: str, golden_report: Report, golden_options: RenderOptions
) -> None:
    """A large report is never one string: its chunks are no larger than a small report's."""

    def copies(findings: tuple[Finding, ...], n: int) -> tuple[Finding, ...]:
        return tuple(replace(f, table=f"{f.table}_{i:03}") for i in range(n) for f in findings)

    many = replace(
        golden_report,
        findings=copies(golden_report.findings, 200),
        foreign_keys=tuple(
            (s, f"{t}_{i:03}", c) for i in range(200) for s, t, c in golden_report.foreign_keys
        ),
    )
    chunks = list(renderer(fmt)(many, golden_options))
    assert chunks and all(chunk.endswith("\n") for chunk in chunks)
    if fmt == "markdown":  # which lists MAX_ROWS findings: short whatever the report
        return
    small = max(len(chunk) for chunk in renderer(fmt)(golden_report, golden_options))
    # JUnit writes the passing cases between failing ones in runs (of 256): bounded still.
    assert max(len(chunk) for chunk in chunks) <= max(small * 2, 1 << 16)
    assert len(chunks) > len(many.findings) / 3  # a chunk per finding, test case or table


def test_json_escapes_each_chunk_as_the_whole_document(golden_report: Report) -> None:
    """printable_json maps character by character, so escaping line by line changes nothing;
    the JSON still decodes to the exact names."""
    from fkaudit.escape import printable_json

    hostile = "fk\u2028x\x85y\u202e"
    findings = tuple(replace(f, constraint=hostile) for f in golden_report.findings)
    report = replace(golden_report, findings=findings)
    for fmt in ("json", "sarif"):
        document = render_text(fmt, report, RenderOptions(show_suppressed=True))
        assert all(line.isprintable() for line in document.splitlines())
        assert printable_json(document) == document
        decoded = json.loads(document)
        names = (
            [f["constraint"] for f in decoded["findings"]]
            if fmt == "json"
            else [r["properties"]["constraint"] for r in decoded["runs"][0]["results"]]
        )
        assert hostile in names
    raw = json.dumps({"a": hostile, "b": [hostile, "\n"]}, indent=2, ensure_ascii=False)
    for cut in range(len(raw)):
        assert printable_json(raw[:cut]) + printable_json(raw[cut:]) == printable_json(raw)


def test_empty_reports_are_valid_in_every_format() -> None:
    empty = Report(findings=(), rules_run=("FK101", "FK201"), database="d", server_version="18")
    for fmt in FORMATS:
        text = render_text(fmt, empty)
        assert text.endswith("\n") and not text.endswith("\n\n"), fmt
    assert json.loads(render_text("json", empty))["findings"] == []
    assert_valid_sarif(render_text("sarif", empty))
    assert assert_valid_gitlab(render_text("gitlab", empty)) == []
    suites = ET.fromstring(render_text("junit", empty)).findall("testsuite")
    assert [suite.get("tests") for suite in suites] == ["0", "0"]


def test_delivery_writes_pieces_of_the_chunks(tmp_path: Path) -> None:
    from fkaudit.delivery import pieces, write_chunks

    chunks = [f"line {i}\n" for i in range(1000)]
    joined = list(pieces(chunks, size=100))
    assert "".join(joined) == "".join(chunks)
    assert all(len(piece) >= 100 for piece in joined[:-1]) and len(joined) > 50
    out = tmp_path / "out.txt"
    out.write_text("before\n", encoding="utf-8")
    write_chunks(out, iter(chunks), append=True)
    assert out.read_text(encoding="utf-8") == "before\n" + "".join(chunks)


# -- GitLab Code Quality -----------------------------------------------------------------------

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def assert_valid_gitlab(text: str) -> list[dict[str, Any]]:
    """The report parsed, after the checks GitLab makes of a Code Quality artifact: an array
    of issues with a description, a check name, a fingerprint unique in the report (GitLab
    shows one issue per fingerprint), a known severity, and a location with a relative path
    and a first line."""
    issues = json.loads(text)
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in GITLAB_SEVERITIES
        path = issue["location"]["path"]
        assert isinstance(path, str) and path and not path.startswith(("/", "./"))
        begin = issue["location"]["lines"]["begin"]
        assert isinstance(begin, int) and begin >= 1
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    return issues


def test_gitlab_of_the_golden_report(golden_report: Report, golden_options: RenderOptions) -> None:
    from fkaudit.reporters.gitlab_format import SEVERITIES

    issues = assert_valid_gitlab(render_text("gitlab", golden_report, golden_options))
    listed = (*golden_report.findings, *golden_report.baselined)
    assert [i["check_name"] for i in issues] == [f.code for f in listed]
    assert [i["fingerprint"] for i in issues] == [f.fingerprint for f in listed]
    assert [i["severity"] for i in issues] == [SEVERITIES[f.severity] for f in listed]
    for issue, f in zip(issues, listed, strict=True):
        where = golden_options.locations[f.fingerprint]
        assert issue["location"] == {"path": where.path, "lines": {"begin": where.line}}
        assert printable(f.message) in issue["description"]


def test_gitlab_fingerprints_stay_unique_and_stable(golden_report: Report) -> None:
    """Two findings of one rule on one object share the finding's fingerprint; the repeat gets
    one of its own, the same on every run."""
    first = golden_report.findings[0]
    twice = replace(
        golden_report, findings=(first, replace(first, message="other"), first), baselined=()
    )
    issues = assert_valid_gitlab(render_text("gitlab", twice))
    assert issues[0]["fingerprint"] == first.fingerprint
    assert render_text("gitlab", twice) == render_text("gitlab", twice)


def test_gitlab_without_a_file_points_at_the_database(
    golden_report: Report, golden_options: RenderOptions
) -> None:
    from fkaudit.report import RuleError

    bare = render_text("gitlab", golden_report)
    assert {i["location"]["path"] for i in assert_valid_gitlab(bare)} == {"shop"}
    artifact = RenderOptions(artifact="db/structure.sql")
    issues = assert_valid_gitlab(render_text("gitlab", golden_report, artifact))
    assert {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues} == {
        ("db/structure.sql", 1)
    }
    failed = replace(golden_report, incomplete=(RuleError("FK501", "scan timed out"),))
    last = assert_valid_gitlab(render_text("gitlab", failed, golden_options))[-1]
    assert (last["check_name"], last["severity"]) == ("fkaudit", "minor")
    assert last["location"]["path"] == golden_options.artifact


def test_gitlab_of_a_schema_file_points_at_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from fkaudit.cli import main

    monkeypatch.chdir(REPO)
    out = tmp_path / "gl-code-quality-report.json"
    args = ["--schema-file", "fkaudit/demo/shop.sql", "--format", "gitlab", "--output", str(out)]
    result = CliRunner().invoke(main, ["check", *args, *_bindir_args()])
    assert result.exit_code == 1, result.output
    issues = assert_valid_gitlab(out.read_text(encoding="utf-8"))
    lines = (REPO / "fkaudit" / "demo" / "shop.sql").read_text(encoding="utf-8").splitlines()
    assert len(issues) >= 10
    for issue in issues:
        assert issue["location"]["path"] == "fkaudit/demo/shop.sql"
        text = lines[issue["location"]["lines"]["begin"] - 1]
        assert not text.lstrip().startswith("--"), issue  # never a comment


def test_gitlab_and_json_of_a_database_with_and_without_a_file(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a database, GitLab issues need a path: the database's name (with a note on
    stderr) unless --sarif-artifact names the schema file, whose lines are then searched."""
    from click.testing import CliRunner

    from fkaudit.cli import main

    conn.execute("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p)")
    dbname = conn.info.dbname
    bare = CliRunner().invoke(main, ["check", db, "--select", "FK101", "--format", "gitlab"])
    assert bare.exit_code == 1, bare.output
    (issue,) = assert_valid_gitlab(bare.stdout)
    assert issue["location"] == {"path": dbname, "lines": {"begin": 1}}
    assert "no --sarif-artifact: GitLab Code Quality issues point at a path" in bare.stderr
    unknown = CliRunner().invoke(main, ["check", db, "--select", "FK101", "--format", "json"])
    assert json.loads(unknown.stdout)["findings"][0]["location"] is None

    schema = tmp_path / "db" / "structure.sql"
    schema.parent.mkdir()
    schema.write_text(
        "-- c references p\nCREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE c (\n    p_id int REFERENCES p\n);\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    args = ["check", db, "--select", "FK101", "--sarif-artifact", "db/structure.sql"]
    named = CliRunner().invoke(main, [*args, "--format", "gitlab"])
    (issue,) = assert_valid_gitlab(named.stdout)
    assert issue["location"] == {"path": "db/structure.sql", "lines": {"begin": 4}}
    assert "no --sarif-artifact" not in named.stderr
    located = CliRunner().invoke(main, [*args, "--format", "json"])
    (finding,) = json.loads(located.stdout)["findings"]
    assert finding["location"] == {"path": "db/structure.sql", "line": 4}
