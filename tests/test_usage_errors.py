"""Every usage error is one line on stderr and exit 2, for every command; no option value
reaches the server that the server would refuse."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

COMMANDS = ("check", "baseline", "fix", "demo", "rules", "explain")


def run_fkaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fkaudit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
        check=False,
    )


def assert_usage_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("fkaudit: error: "), lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_of_every_command(command: str) -> None:
    assert_usage_error(run_fkaudit(command, "--no-such-option"), "--no-such-option")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["no-such-command"], "No such command"),
        (["--no-such-option"], "--no-such-option"),
        (["baseline"], "Missing argument 'FILE'"),
        (["explain"], "Missing argument 'RULE'"),
        (["check", "--format", "yaml"], "--format"),
        (["check", "--jobs", "0"], "--jobs"),
        (["check", "--statement-timeout", "99999999999"], "--statement-timeout"),
        (["check", "--lock-timeout", "0"], "--lock-timeout"),
        (["fix", "--orphans", "some"], "--orphans"),
        (["demo", "--fail-on", "fatal"], "--fail-on"),
        (["check", "--sample"], "--sample"),
        (["check", "--update-baseline"], "--update-baseline needs --baseline"),
        (["check", "--pg-bindir", "/tmp"], "--pg-bindir needs --schema-file"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], expected: str) -> None:
    assert_usage_error(run_fkaudit(*args), expected)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-0", "0", "100.5", "1e309"])
def test_sample_percent_out_of_range(db: str, value: str) -> None:
    assert_usage_error(run_fkaudit("check", db, "--sample", value), "--sample")


def test_sample_options_are_bounded_before_any_scan(
    conn: psycopg.Connection[object], db: str
) -> None:
    conn.execute("CREATE TABLE p (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE c (p_id int)")
    conn.execute("INSERT INTO c VALUES (1)")
    conn.execute("ALTER TABLE c ADD FOREIGN KEY (p_id) REFERENCES p NOT VALID")
    assert_usage_error(run_fkaudit("check", db, "--samples", "99999999999999999999"), "--samples")
    result = run_fkaudit("check", db, "--select", "FK501", "--samples", "10000")
    assert result.returncode == 1, result.stderr  # the largest accepted value scans fine
    assert "1 row(s) of public.c reference no row" in result.stdout, result.stdout
    for percent in ("100", "0.001", "5e-1"):  # the bounds reject nothing they should accept
        result = run_fkaudit("check", db, "--select", "FK501", "--sample", percent)
        assert result.returncode == 1, result.stderr
