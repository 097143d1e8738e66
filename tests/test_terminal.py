"""The table and the progress line on a terminal: fitted to its width, names never cut, colour
only where it belongs, the progress line redrawn in place.

Widths come from `COLUMNS` (CliRunner runs) or from a real pseudo-terminal whose size is set
(`_on_terminal`), colour from `--color`, `NO_COLOR`, `FORCE_COLOR` and whether stdout is a
terminal; the audits run against the test server.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import unicodedata
from importlib.resources import files
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

import fkaudit
from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.cli import main
from fkaudit.escape import printable
from fkaudit.orphans.progress import ScanProgress, StatusLine
from fkaudit.orphans.scan import OrphanCount
from fkaudit.reporters.statements import statement_lines, words

SHOP = files("fkaudit.demo").joinpath("shop.sql").read_text(encoding="utf-8")
BINDIR = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour
ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # any control sequence fkaudit writes
ELAPSED = re.compile(r" in \d+\.\d\ds$", re.M)
# The environment of a run: nothing from the developer's terminal leaks in.
CLEAN_ENV: dict[str, str | None] = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}


def _invoke(args: list[str], **env: str) -> Result:
    return CliRunner(env={**CLEAN_ENV, **env}).invoke(main, args)


def _too_wide(text: str, width: int) -> list[str]:
    return [line for line in ESCAPE.sub("", text).splitlines() if len(line) > width]


@pytest.fixture
def shop(conn: psycopg.Connection[Any], db: str) -> str:
    """The demo's shop schema in the test's database (faster than `fkaudit demo`'s server)."""
    conn.execute(SHOP)
    return db


# -- width -----------------------------------------------------------------------------------


def test_the_demo_table_fits_80_columns() -> None:
    """The acceptance check: `fkaudit demo` at COLUMNS=80, coloured, every scan on."""
    args = ["demo", "--orphans", "all", "--color", "always"]
    result = _invoke([*args, *(["--pg-bindir", BINDIR] if BINDIR else [])], COLUMNS="80")
    assert result.exit_code == 1, result.stderr
    assert SGR.search(result.stdout)  # coloured, and still within the width
    lines = ESCAPE.sub("", result.stdout).splitlines()
    assert len(lines) > 100 and max(len(line) for line in lines) >= 70
    assert _too_wide(result.stdout, 80) == []
    assert "severity" not in result.stdout and "-----" not in result.stdout  # no header rows


@pytest.mark.parametrize("columns", [60, 100, 200])
def test_the_table_fits_any_width(shop: str, columns: int) -> None:
    result = _invoke(["check", shop, "--orphans", "all"], COLUMNS=str(columns))
    assert result.exit_code == 1, result.output
    assert _too_wide(result.stdout, columns) == []
    if columns >= 100:  # wide enough for a name column: a message starts on its row's line
        assert re.search(
            r"^  warning FK101 fk_orders_shipping_address +no index", result.stdout, re.M
        )


def test_fix_statements_are_printed_whole_and_unchanged(shop: str) -> None:
    """At 80 columns each statement is on lines of its own, continuation lines indented
    further; put back together at its breaks it is the statement `fix` writes, to the byte."""
    table = _invoke(["check", shop, "--orphans", "all"], COLUMNS="80").stdout
    report = fkaudit.audit(shop, orphans="all")
    expected = [
        statement
        for f in report.findings
        for statement in (f.fix, f.suggestion)
        if statement
        for statement in statement.split("\n")
    ]
    shown: list[str] = []
    lines = table.splitlines()
    for i, line in enumerate(lines):
        label = re.fullmatch(r"    (?:fix|suggestion):(?: (.+))?", line)
        if label and label.group(1):  # it fits after its label
            shown.append(label.group(1))
            continue
        if not label:
            continue
        for more in lines[i + 1 :]:  # statements of 6 spaces, continued at 8
            if re.match(r"      \S", more):
                shown.append(more[6:])
            elif re.match(r"        \S", more):
                shown[-1] += " " + more[8:]
            else:
                break
    assert sorted(shown) == sorted(" ".join(words(s)) for s in expected)
    assert len(shown) >= 15


def test_a_statement_broken_at_its_spaces_means_the_same_to_the_server(
    conn: psycopg.Connection[Any],
) -> None:
    statement = (
        r"""SELECT 'a  b -- c' AS "x  "" y", E'd\' e' AS "z", 1 + 2 AS "three" -- a comment"""
    )
    lines = statement_lines(statement, 12, "", "  ")
    assert len(lines) >= 5 and "'a  b -- c'" in " ".join(lines)
    broken = "\n".join(lines)
    with conn.cursor() as cursor:
        cursor.execute(statement)
        expected = ([c.name for c in cursor.description or ()], cursor.fetchall())
        cursor.execute(broken)
        assert ([c.name for c in cursor.description or ()], cursor.fetchall()) == expected
    assert expected == (['x  " y', "z", "three"], [("a  b -- c", "d' e", 3)])


def test_a_long_hostile_name_is_never_split(conn: psycopg.Connection[Any], db: str) -> None:
    """Names of PostgreSQL's full 63 bytes, with spaces, quotes and a control character: each
    is shown whole on one line wherever it appears, and only such a name (or one quoted token)
    makes a line wider than the terminal."""
    table = 'orders of the "east" region\n' + "x" * 35
    constraint = "fk orders of the east region to customers " + "y" * 21
    column = "customer id of the order"
    assert len(table.encode()) == len(constraint.encode()) == 63
    conn.execute("CREATE TABLE customers (id int PRIMARY KEY)")
    conn.execute(
        psycopg.sql.SQL(
            "CREATE TABLE {t} ({c} int CONSTRAINT {k} REFERENCES customers ON DELETE CASCADE)"
        ).format(
            t=psycopg.sql.Identifier(table),
            c=psycopg.sql.Identifier(column),
            k=psycopg.sql.Identifier(constraint),
        )
    )
    result = _invoke(["check", db, "--select", "FK1,FK3"], COLUMNS="80")
    assert result.exit_code == 1, result.output
    names = [printable(f"public.{table}"), printable(constraint), column]
    lines = result.stdout.splitlines()
    joined = " ".join(line.strip() for line in lines)
    for name in names:
        whole = sum(line.count(name) for line in lines)
        assert whole >= 2 and whole == joined.count(name), name
    for line in _too_wide(result.stdout, 80):
        text = line.strip()
        unbreakable = text in names or len(words(text)) == 1
        assert unbreakable, line


def test_wide_characters_are_measured_in_columns(conn: psycopg.Connection[Any], db: str) -> None:
    """CJK names take two columns a character: the table still fits, measured as a terminal
    draws it."""
    conn.execute('CREATE TABLE "顧客" (id int PRIMARY KEY)')
    conn.execute(
        'CREATE TABLE "注文明細テーブル" ("顧客番号" int REFERENCES "顧客" ON DELETE CASCADE)'
    )
    result = _invoke(["check", db], COLUMNS="60")
    assert result.exit_code == 1, result.output
    assert "注文明細テーブル_顧客番号_fkey" in result.stdout
    widths = [
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        for line in result.stdout.splitlines()
    ]
    assert max(widths) <= 60 and max(widths) > 50


# -- colour ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "coloured"),
    [
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # an explicit choice wins
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {}, False),  # auto: stdout is not a terminal here
        (["--color", "auto"], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins over FORCE_COLOR
        ([], {"FORCE_COLOR": ""}, False),  # empty means unset
        (["--color", "always", "--format", "json"], {}, False),  # never a machine format
        (["--color", "always", "--format", "sarif"], {}, False),
        (["--color", "always", "--format", "github"], {}, False),
    ],
)
def test_colour_matrix(shop: str, args: list[str], env: dict[str, str], coloured: bool) -> None:
    result = _invoke(["check", shop, "--select", "FK101,FK301,FK306", *args], **env)
    assert result.exit_code == 1, result.output
    assert bool(SGR.search(result.stdout)) is coloured
    if not coloured:
        assert "\x1b" not in result.stdout
        return
    assert "\x1b[1;31merror\x1b[0m" in result.stdout and "\x1b[33mwarning\x1b[0m" in result.stdout
    assert "\x1b[34minfo\x1b[0m" in result.stdout
    plain = _invoke(["check", shop, "--select", "FK101,FK301,FK306", "--color", "never"])
    # Colour adds escapes, nothing else: the same text and layout underneath.
    assert ELAPSED.sub("", SGR.sub("", result.stdout)) == ELAPSED.sub("", plain.stdout)


def test_output_files_are_never_coloured(shop: str, tmp_path: Path) -> None:
    for fmt in ("table", "sarif"):
        out = tmp_path / f"report.{fmt}"
        args = ["check", shop, "--color", "always", "--format", fmt, "--output", str(out)]
        result = _invoke(args, COLUMNS="100")
        assert result.exit_code == 1, result.output
        assert SGR.search(result.stdout)  # the table on stdout
        written = out.read_text(encoding="utf-8")
        assert "\x1b" not in written and "fk_orders_shipping_address" in written
        if fmt == "table":
            assert _too_wide(written, 100) == [] and max(map(len, written.splitlines())) > 80


def test_color_is_refused_when_misspelt() -> None:
    result = _invoke(["check", "--color", "sometimes"])
    assert result.exit_code == 2 and "'sometimes' is not one of" in result.output


# -- a real terminal -------------------------------------------------------------------------


def _on_terminal(args: list[str], columns: int, **env: str) -> str:
    """What `fkaudit ARGS` writes to a pseudo-terminal of `columns` columns (stdout and stderr
    both), its line endings as a program wrote them."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    environment["TERM"] = "xterm-256color"
    environment.update(env)
    with subprocess.Popen(
        [sys.executable, "-m", "fkaudit", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=environment,
    ) as process:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=120)
    os.close(master)
    assert process.returncode == 1, b"".join(chunks)
    return b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal's own newline mode


def test_on_a_terminal_the_table_takes_its_width_and_colour(shop: str) -> None:
    text = _on_terminal(["check", shop, "--jobs", "2"], 72)
    report = text[text.rindex("\r") + 1 :] if "\r" in text else text  # after the progress line
    assert SGR.search(report)
    assert _too_wide(report, 72) == [] and max(map(len, SGR.sub("", report).splitlines())) > 60
    # The progress line came first, named the keys scanned, and was erased.
    progress = text[: text.rindex("\r") + 1]
    assert "\rorphan scans: 0/" in progress and "scanning shop." in progress
    assert "\x1b[K" in text
    assert "\n" not in progress  # redrawn in place: nothing scrolled away


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_on_a_terminal_colour_can_be_turned_off(shop: str, env: dict[str, str]) -> None:
    text = _on_terminal(["check", shop], 100, **env)
    assert not SGR.search(text)
    if env.get("TERM") == "dumb":  # no escape at all, the progress line blanked with spaces
        assert "\x1b" not in text


# -- the progress line -----------------------------------------------------------------------


def _segments(written: str) -> list[str]:
    """Each state the line was drawn in: the text between carriage returns, escapes removed."""
    return [ESCAPE.sub("", part) for part in written.split("\r")]


def test_the_status_line_is_cut_to_the_width_from_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    monkeypatch.setenv("TERM", "xterm")
    stream = io.StringIO()
    line = StatusLine(stream)
    line.show("x" * 100)
    line.show("short")
    monkeypatch.setenv("COLUMNS", "12")  # the terminal shrank: read again at each redraw
    line.show("y" * 40)
    line.clear()
    written = stream.getvalue()
    assert "\n" not in written
    assert _segments(written)[1:] == ["x" * 26 + "...", "short", "y" * 8 + "...", ""]
    assert written.count("\x1b[K") == 4  # each redraw erases what the last one left


def test_a_dumb_terminal_gets_spaces_instead_of_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    stream = io.StringIO()
    line = StatusLine(stream, columns=lambda: 20)
    line.show("a long line of text")
    line.show("ab")
    line.clear()
    assert stream.getvalue() == "\ra long line of text\rab" + " " * 17 + "\r" + " " * 2 + "\r"


def test_a_real_scan_names_each_key_once_per_table_within_the_width(
    conn: psycopg.Connection[Any], db: str
) -> None:
    long_table = "t" * 63
    for statement in (
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE child (a int, b int)",
        "INSERT INTO child SELECT g, g FROM generate_series(1, 20000) g",
        "ALTER TABLE child ADD CONSTRAINT c_a FOREIGN KEY (a) REFERENCES p NOT VALID",
        "ALTER TABLE child ADD CONSTRAINT c_b FOREIGN KEY (b) REFERENCES p NOT VALID",
        f"CREATE TABLE {long_table} (p_id int REFERENCES p)",
    ):
        conn.execute(statement)
    stream = io.StringIO()
    made: list[tuple[Catalog, list[ForeignKey], ScanProgress]] = []

    def progress(catalog: Catalog, fks: list[ForeignKey]) -> ScanProgress:
        made.append(
            (catalog, fks, ScanProgress(catalog, fks, stream, columns=lambda: 100, interval=0))
        )
        return made[-1][2]

    # One job: the lines drawn are then known; two keys of one table scanned at once are
    # checked below, where the order of events is set.
    fkaudit.audit(db, select=["FK501"], orphans="all", jobs=1, progress=progress)
    catalog, fks, shown = made[0]
    shown.close()
    segments = _segments(stream.getvalue())
    assert segments[0] == "" and segments[-1] == ""  # starts at a clean line, ends erased
    drawn = segments[1:-1]
    assert len(drawn) == 2 * len(fks) == 6  # a redraw as each scan starts and ends
    assert all(len(text) <= 99 for text in drawn) and "\n" not in stream.getvalue()
    assert any(text.endswith("...") for text in drawn)  # the long table's line was cut
    for name in ("c_a", "c_b"):
        assert any(f"scanning public.child: {name}" in text for text in drawn)
    assert all(text.count("public.child") <= 1 for text in drawn)
    assert drawn[-1].startswith("orphan scans: 3/3 foreign keys") and drawn[-1].endswith("-")

    # Both keys of one table at once, as two jobs run them: the table is named once.
    both = ScanProgress(catalog, fks, io.StringIO(), columns=lambda: 200, interval=0)
    on_child = [fk for fk in fks if fk.name in ("c_a", "c_b")]
    for fk in on_child:
        both.started(fk)
    assert both.scanning() == "public.child: c_a, c_b"
    both.finished(OrphanCount(on_child[0], 0, ()))
    assert both.text().startswith("orphan scans: 1/3") and both.scanning() == "public.child: c_b"
