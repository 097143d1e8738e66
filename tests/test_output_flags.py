"""The flags for people and pipelines, on a real database: `--statistics`, `--format concise`,
`-q`, `--exit-zero`, `--extend-select`/`--extend-ignore` and `fkaudit rules --format json`.

Each flag has a case where it must change what fkaudit prints or returns, and one where it must
not; expected values are derived from fkaudit's own JSON report of the same database.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import conninfo, sql

from fkaudit.cli import main
from fkaudit.findings import Finding, Severity
from fkaudit.report import Report
from fkaudit.reporters import RenderOptions, render_text
from fkaudit.reporters.concise_format import line_start
from fkaudit.reporters.table_format import TIMES, TOP_RULES, summary_line
from fkaudit.rules import all_rules
from tests.test_cli import SCHEMA

# SCHEMA fires: FK101 + FK201 on app.orders.orders_customer_id_fkey (both with a mechanical
# fix), FK303 on app.notes.fk_notes_order, FK301 on audit_log.events.fk_events_customer.
ELAPSED = re.compile(r" in \d+\.\d\ds$")


@pytest.fixture
def shop(conn: psycopg.Connection[Any], db: str, tmp_path: Path, monkeypatch: Any) -> str:
    conn.execute(SCHEMA)
    monkeypatch.chdir(tmp_path)  # configuration files are looked for here, not in the repo
    return db


def run(*args: str) -> Any:
    """The CLI's result, on a terminal wide enough that the table's summary stays one line
    (these tests are about the flags, not the layout)."""
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "300"})


def findings(dsn: str, *args: str) -> list[dict[str, Any]]:
    """The JSON report's findings of `check DSN ARGS`."""
    result = run("check", dsn, "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return found


def codes(dsn: str, *args: str) -> set[str]:
    return {f["code"] for f in findings(dsn, *args)}


def steady(text: str) -> str:
    """Output with the run's elapsed time (the end of the summary line) pinned."""
    return "\n".join(ELAPSED.sub(" in 0.00s", line) for line in text.splitlines())


def _bindir_args() -> list[str]:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return ["--pg-bindir", bindir] if bindir else []


# -- the closing summary line and the JSON summary -----------------------------------------


def test_the_summary_line_names_the_top_rules(shop: str) -> None:
    result = run("check", shop)
    assert result.exit_code == 1
    last = result.stdout.splitlines()[-1]
    counted = Counter(f["code"] for f in findings(shop))
    top = ", ".join(f"{code} {TIMES}{n}" for code, n in sorted(counted.items()))  # all 1s
    assert last.startswith(f"4 findings (1 error, 3 warnings): {top} — 3 foreign keys on 4 ")


def test_the_summary_line_stays_one_line_with_many_rules() -> None:
    """Most findings first, ties by code, TOP_RULES named and the rest counted."""

    def make(code: str, i: int) -> Finding:
        return Finding(code, "r", Severity.INFO, "s", f"t{i}", "c", (), "m\nline")

    made = [make(f"FK{n:03}", i) for n in range(1, 9) for i in range(n % 4 + 1)]
    report = Report(findings=tuple(made), database="d\nb", server_version="18.0")
    line = summary_line(report)
    assert "\n" not in line and line.isprintable()
    named = re.findall(rf"(FK\d+) {TIMES}(\d+)", line)
    assert len(named) == TOP_RULES
    expected = sorted(Counter(f.code for f in made).items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(code, int(n)) for code, n in named] == expected[:TOP_RULES]
    assert f"and {8 - TOP_RULES} more rules — " in line
    assert line.startswith(f"{len(made)} findings ({len(made)} info): ")
    empty = summary_line(Report(findings=(), foreign_keys_inspected=1, tables_inspected=1))
    assert empty.startswith("0 findings — 1 foreign key on 1 table of ")


def test_the_json_summary_counts_findings_by_rule(shop: str) -> None:
    result = run("check", shop, "--format", "json", "--select", "FK1,FK2,FK3")
    document = json.loads(result.stdout)
    by_rule = document["summary"]["by_rule"]
    counted = Counter(f["code"] for f in document["findings"])
    assert by_rule == {code: counted.get(code, 0) for code in document["summary"]["rules"]}
    assert list(by_rule) == sorted(by_rule) and sum(by_rule.values()) == 4
    assert by_rule["FK101"] == 1 and by_rule["FK102"] == 0  # ran, found nothing: still listed


# -- --statistics --------------------------------------------------------------------------


def test_statistics_counts_by_rule_instead_of_listing(shop: str) -> None:
    listed = findings(shop)
    result = run("check", shop, "--statistics")
    assert result.exit_code == 1  # the exit code is the check's
    *rows, last = result.stdout.splitlines()
    assert steady(last) == steady(run("check", shop).stdout).splitlines()[-1]
    counted = Counter(f["code"] for f in listed)
    fixable = Counter(f["code"] for f in listed if f["fix"])
    names = {f["code"]: f["name"] for f in listed}
    expected = []
    for code, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])):
        marker = "[*]" if fixable[code] == n else "[-]" if fixable[code] else "[ ]"
        expected.append(f"{n}\t{code}\t{marker} {names[code]}")
    assert rows == expected
    assert "orders_customer_id_fkey" not in result.stdout  # no finding is listed

    quiet = run("check", shop, "--statistics", "-q")
    assert quiet.stdout.splitlines() == rows and quiet.exit_code == 1


def test_statistics_as_json(shop: str) -> None:
    listed = findings(shop)
    result = run("check", shop, "--statistics", "--format", "json")
    assert result.exit_code == 1
    stats = json.loads(result.stdout)
    assert [s["code"] for s in stats] == [
        code for code, _ in sorted(Counter(f["code"] for f in listed).items())
    ]  # all counts are 1: code order
    for entry in stats:
        mine = [f for f in listed if f["code"] == entry["code"]]
        assert entry["count"] == len(mine) and entry["name"] == mine[0]["name"]
        assert entry["fixable_count"] == len([f for f in mine if f["fix"]])
        assert entry["by_severity"][mine[0]["severity"]] == len(mine)
    nothing = run("check", shop, "--statistics", "--format", "json", "--table", "none")
    assert (nothing.exit_code, nothing.stdout) == (0, "[]\n")


def test_statistics_refuses_a_format_it_cannot_print(shop: str, tmp_path: Path) -> None:
    for fmt in ("sarif", "junit", "github", "markdown"):
        result = run("check", shop, "--statistics", "--format", fmt)
        assert result.exit_code == 2
        assert result.stderr.startswith("fkaudit: error: --statistics prints counts as text")
        assert len(result.stderr.splitlines()) == 1 and not result.stdout
    out = tmp_path / "report.sarif"  # with --output the SARIF goes to the file
    result = run("check", shop, "--statistics", "--format", "sarif", "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout.startswith("1\tFK101\t")
    assert len(json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]) == 4


def test_without_statistics_the_findings_are_listed(shop: str) -> None:
    assert "orders_customer_id_fkey" in run("check", shop).stdout
    assert "findings" in json.loads(run("check", shop, "--format", "json").stdout)


# -- --format concise ----------------------------------------------------------------------


def test_concise_without_a_location_names_the_object(shop: str) -> None:
    listed = findings(shop)
    result = run("check", shop, "--format", "concise")
    assert result.exit_code == 1
    *lines, last = result.stdout.splitlines()
    assert lines == [
        f"{f['schema']}.{f['table']}.{f['constraint']}: {f['code']} {f['message']}" for f in listed
    ]
    assert steady(last) == steady(run("check", shop).stdout).splitlines()[-1]
    quiet = run("check", shop, "--format", "concise", "-q")
    assert quiet.stdout.splitlines() == lines


def test_concise_with_an_artifact_points_at_its_lines(shop: str, tmp_path: Path) -> None:
    structure = tmp_path / "db" / "structure.sql"
    structure.parent.mkdir()
    structure.write_text(SCHEMA, encoding="utf-8")
    result = run("check", shop, "--format", "concise", "--sarif-artifact", str(structure))
    assert result.exit_code == 1
    text = SCHEMA.splitlines()
    for line, f in zip(result.stdout.splitlines()[:-1], findings(shop), strict=True):
        match = re.fullmatch(r"db/structure\.sql:(\d+):1: (FK\d{3}) (.*)", line)
        assert match, line
        assert (match[2], match[3]) == (f["code"], f["message"])
        defined = text[int(match[1]) - 1]
        assert f["constraint"] in defined or f"TABLE {f['schema']}.{f['table']} " in defined


def test_concise_from_a_schema_file(tmp_path: Path, monkeypatch: Any) -> None:
    """`--schema-file` on a throwaway server: every line is `file:line:col: CODE message`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    result = run("check", "--schema-file", "schema.sql", "--format", "concise", *_bindir_args())
    assert result.exit_code == 1, result.output
    *lines, last = result.stdout.splitlines()
    located = [re.fullmatch(r"schema\.sql:(\d+):1: (FK\d{3}) .*", line) for line in lines]
    assert all(located), lines
    got = {(m[2], SCHEMA.splitlines()[int(m[1]) - 1].split()[2]) for m in located if m}
    assert got == {
        ("FK101", "app.orders"),
        ("FK201", "app.orders"),
        ("FK303", "app.notes"),
        ("FK301", "audit_log.events"),
    }  # each at the CREATE TABLE that declares its key
    assert last.startswith("4 findings (1 error, 3 warnings): ")


def test_concise_names_from_the_database_stay_on_their_line(
    conn: psycopg.Connection[Any], db: str
) -> None:
    schema = "::error file=x::injected"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "CREATE TABLE {s}.p (id int PRIMARY KEY); CREATE TABLE {s}.c (p int "
            "CONSTRAINT {c} REFERENCES {s}.p)"
        ).format(s=sql.Identifier(schema), c=sql.Identifier("fk\n::warning::x"))
    )
    result = run("check", db, "--format", "concise", "--select", "FK101")
    assert result.exit_code == 1
    (line, _) = result.stdout.splitlines()
    (finding,) = findings(db, "--select", "FK101")
    assert line == f"\\x3a:error file=x::injected.c.fk\\n::warning::x: FK101 {finding['message']}"
    assert finding["message"].startswith(f"no index on {schema}.c (p) serves")
    assert line_start("  ::a") == "  \\x3a:a" and line_start(":a::") == ":a::"


def test_concise_lists_suppressed_findings_on_request(
    shop: str, conn: psycopg.Connection[Any]
) -> None:
    conn.execute("COMMENT ON CONSTRAINT fk_notes_order ON app.notes IS 'fkaudit:ignore FK303'")
    plain = run("check", shop, "--format", "concise").stdout
    shown = run("check", shop, "--format", "concise", "--show-suppressed").stdout
    assert "FK303" not in plain
    assert "app.notes.fk_notes_order: FK303 [suppressed] ON DELETE CASCADE" in shown


# -- -q / --quiet ----------------------------------------------------------------------------


def without_last_line(text: str) -> str:
    return text[: text.rindex("\n", 0, -1) + 1]


def test_quiet_prints_the_findings_only(shop: str) -> None:
    for fmt in ("table", "concise", "github"):  # the closing summary line goes
        loud, quiet = run("check", shop, "--format", fmt), run("check", shop, "--format", fmt, "-q")
        assert loud.exit_code == quiet.exit_code == 1
        assert quiet.stdout == without_last_line(loud.stdout)
        assert "findings (" in loud.stdout and "findings (" not in quiet.stdout
        assert "orders_customer_id_fkey" in quiet.stdout
    empty = run("check", shop, "--table", "nothing", "-q")
    assert (empty.exit_code, empty.stdout) == (0, "")
    assert run("check", shop, "--table", "nothing").stdout.startswith("No foreign-key problems")


def test_quiet_leaves_documents_whole(shop: str) -> None:
    """JSON, SARIF, JUnit and Markdown are documents: -q changes none of them."""
    loud = json.loads(run("check", shop, "--format", "json").stdout)
    quiet = json.loads(run("check", shop, "--format", "json", "-q").stdout)
    for document in (loud, quiet):
        del document["summary"]["elapsed_seconds"]
    assert quiet == loud
    for fmt in ("sarif", "markdown"):
        assert run("check", shop, "--format", fmt, "-q").stdout == (
            run("check", shop, "--format", fmt).stdout
        )
    junit = [run("check", shop, "--format", "junit", *q).stdout for q in ([], ["-q"])]
    assert [re.sub(r'time="[^"]*"', "", text) for text in junit[:1]] == [
        re.sub(r'time="[^"]*"', "", text) for text in junit[1:]
    ]


def test_quiet_silences_notes_but_never_errors(
    shop: str, tmp_path: Path, conn: psycopg.Connection[Any]
) -> None:
    baseline = tmp_path / "baseline.json"
    assert run("baseline", str(baseline), shop).exit_code == 0
    loud = run("check", shop, "--baseline", str(baseline), "--update-baseline")
    assert "fkaudit: updated" in loud.stderr
    quiet = run("check", shop, "--baseline", str(baseline), "--update-baseline", "-q")
    assert quiet.stderr == "" and quiet.exit_code == 0
    sarif = run("check", shop, "--format", "sarif")
    assert "fkaudit: note: no --sarif-artifact" in sarif.stderr
    assert run("check", shop, "--format", "sarif", "-q").stderr == ""


@pytest.fixture
def reader(conn: psycopg.Connection[Any], db: str) -> Iterator[str]:
    """A role that may read the catalog only: FK302's lookup of the SET DEFAULT row cannot run
    (an incomplete run), while FK101 still finds the unindexed key of `loose`."""
    role = "fkaudit_flags_reader"
    conn.execute(
        "CREATE TABLE status (id int PRIMARY KEY);"
        "CREATE TABLE orders (id int PRIMARY KEY, status_id int NOT NULL DEFAULT 0 "
        "  REFERENCES status ON DELETE SET DEFAULT);"
        "CREATE INDEX ON orders (status_id);"
        "CREATE TABLE loose (status_id int CONSTRAINT fk_loose REFERENCES status)"
    )
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw'").format(sql.Identifier(role)))
    yield conninfo.make_conninfo(db, user=role, password="pw")
    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_quiet_still_reports_a_check_that_could_not_run(reader: str) -> None:
    result = run("check", reader, "-q", "--select", "FK302")
    assert result.exit_code == 2
    assert "could not check public.orders.orders_status_id_fkey" in result.stderr
    assert result.stdout.startswith("error: FK302 ")


# -- --exit-zero -----------------------------------------------------------------------------


def test_exit_zero_passes_findings_with_the_same_report(shop: str) -> None:
    failing, passing = run("check", shop), run("check", shop, "--exit-zero")
    assert (failing.exit_code, passing.exit_code) == (1, 0)
    assert steady(passing.stdout) == steady(failing.stdout)
    for args in (["--fail-on", "info"], ["--format", "json"], ["--statistics"]):
        assert run("check", shop, "--exit-zero", *args).exit_code == 0
    fix, fix_zero = run("fix", shop), run("fix", shop, "--exit-zero")
    assert (fix.exit_code, fix_zero.exit_code) == (1, 0) and fix.stdout == fix_zero.stdout


def test_exit_zero_changes_nothing_without_findings(shop: str) -> None:
    assert run("check", shop, "--table", "nothing").exit_code == 0
    assert run("check", shop, "--table", "nothing", "--exit-zero").exit_code == 0


def test_exit_zero_never_passes_an_incomplete_run(reader: str) -> None:
    result = run("check", reader, "--exit-zero")
    assert result.exit_code == 2, result.output  # FK302 could not run
    assert "could not check public.orders.orders_status_id_fkey" in result.stderr
    assert run("fix", reader, "--exit-zero").exit_code == 2
    # Allowed explicitly, the run follows its findings (FK101 on loose): 1, and 0 with the flag.
    assert run("check", reader, "--allow-incomplete").exit_code == 1
    assert run("check", reader, "--allow-incomplete", "--exit-zero").exit_code == 0


def test_exit_zero_with_a_baseline(
    shop: str, tmp_path: Path, conn: psycopg.Connection[Any]
) -> None:
    baseline = tmp_path / "baseline.json"
    run("baseline", str(baseline), shop)
    conn.execute(
        "CREATE TABLE app.extra (customer_id int CONSTRAINT fk_x REFERENCES app.customers)"
    )
    assert run("check", shop, "--baseline", str(baseline)).exit_code == 1  # a new finding
    assert run("check", shop, "--baseline", str(baseline), "--exit-zero").exit_code == 0


# -- --extend-select / --extend-ignore -------------------------------------------------------


def test_extend_select_adds_to_the_file_where_select_replaces_it(shop: str, tmp_path: Path) -> None:
    (tmp_path / "fkaudit.toml").write_text('select = ["FK1"]\n', encoding="utf-8")
    assert codes(shop) == {"FK101"}
    assert codes(shop, "--extend-select", "FK3") == {"FK101", "FK301", "FK303"}
    assert codes(shop, "--select", "FK3") == {"FK301", "FK303"}
    assert codes(shop, "--select", "FK3", "--extend-select", "FK201") == {"FK201", "FK301", "FK303"}


def test_extend_ignore_adds_to_the_file_where_ignore_replaces_it(shop: str, tmp_path: Path) -> None:
    (tmp_path / "fkaudit.toml").write_text('ignore = ["FK303"]\n', encoding="utf-8")
    assert codes(shop) == {"FK101", "FK201", "FK301"}
    assert codes(shop, "--extend-ignore", "FK2") == {"FK101", "FK301"}
    assert codes(shop, "--ignore", "FK2") == {"FK101", "FK301", "FK303"}


def test_extensions_apply_after_select_and_ignore(shop: str, tmp_path: Path) -> None:
    """As in ruff: an extension re-enables what the file ignores; extend-ignore wins last."""
    (tmp_path / "fkaudit.toml").write_text('ignore = ["FK3"]\n', encoding="utf-8")
    assert codes(shop, "--extend-select", "FK303") == {"FK101", "FK201", "FK303"}
    assert codes(shop, "--extend-select", "FK3", "--extend-ignore", "FK301") == {
        "FK101",
        "FK201",
        "FK303",
    }
    assert codes(shop, "--extend-select", "FK303", "--extend-ignore", "FK303") == {
        "FK101",
        "FK201",
    }


def test_extend_select_takes_opt_in_rules_by_exact_name_only(
    shop: str, conn: psycopg.Connection[Any]
) -> None:
    conn.execute("CREATE INDEX notes_again ON app.notes (order_id)")  # FK602: a duplicate
    assert "FK602" not in codes(shop)
    assert "FK602" not in codes(shop, "--extend-select", "FK6")  # a prefix: enabled rules
    extended = codes(shop, "--extend-select", "redundant-foreign-key-index")
    assert extended == codes(shop) | {"FK602"}
    result = run("check", shop, "--format", "json", "--extend-select", "FK602")
    assert json.loads(result.stdout)["summary"]["rules"][-1] == "FK602"


@pytest.mark.parametrize("flag", ["--extend-select", "--extend-ignore", "--select", "--ignore"])
def test_unknown_rules_in_selection_flags_are_one_line(shop: str, flag: str) -> None:
    result = run("check", shop, flag, "FK1,FK9O1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"fkaudit: error: {flag}: unknown rule 'FK9O1' (")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_extend_ignore_of_everything_leaves_no_rule(shop: str) -> None:
    result = run("check", shop, "--extend-ignore", "FK")
    assert result.exit_code == 2
    assert "no rule left to run" in result.stderr and "extend-ignore: FK" in result.stderr


# -- fkaudit rules --format json -------------------------------------------------------------


def test_rules_as_json_lists_every_rule(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("rules", "--format", "json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    rules = all_rules()
    assert [entry["code"] for entry in listed] == [rule.code for rule in rules]
    for entry, rule in zip(listed, rules, strict=True):
        assert list(entry) == [
            "code",
            "name",
            "enabled",
            "opt_in",
            "severity",
            "default_severity",
            "options",
            "summary",
        ]
        assert entry["name"] == rule.name and entry["summary"] == rule.summary()
        assert entry["enabled"] is rule.enabled_by_default
        assert entry["opt_in"] is (not rule.enabled_by_default)
        assert entry["severity"] == entry["default_severity"] == rule.default_severity.label
        assert entry["options"] == dict(rule.option_defaults)


def test_rules_as_json_shows_the_effective_configuration(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fkaudit.toml").write_text(
        'ignore = ["FK306"]\n[rules.FK101]\nmin_rows = 1000\nseverity = "error"\n'
        "[rules.FK602]\nenabled = true\n",
        encoding="utf-8",
    )
    by_code = {e["code"]: e for e in json.loads(run("rules", "--format", "json").stdout)}
    assert by_code["FK101"]["options"] == {"min_rows": 1000}
    assert (by_code["FK101"]["severity"], by_code["FK101"]["default_severity"]) == (
        "error",
        "warning",
    )
    assert by_code["FK306"]["enabled"] is False and by_code["FK306"]["opt_in"] is False
    assert by_code["FK602"]["enabled"] is True and by_code["FK602"]["opt_in"] is True
    table = run("rules").stdout
    assert table.startswith("configuration: ") and not table.lstrip().startswith("[")


def test_rules_refuses_an_unknown_format() -> None:
    result = run("rules", "--format", "yaml")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


# -- rendering options that change nothing by default -----------------------------------------


def test_default_render_options_are_not_quiet() -> None:
    """`RenderOptions()` keeps every closing line: only -q drops them."""
    report = Report(findings=(), foreign_keys_inspected=0, database="d", server_version="18")
    assert render_text("table", report).endswith(" on 0 tables of d (PostgreSQL 18) in 0.00s\n")
    assert render_text("table", report, RenderOptions(quiet=True)) == ""
    assert render_text("concise", replace(report), RenderOptions(quiet=True)) == ""
