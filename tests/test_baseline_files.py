"""A malformed baseline file is reported in the file's terms: which file, which entry, which
field and what was found there — one line, exit 2, never a Python error such as
`'NoneType' object is not subscriptable`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fkaudit.cli import main

ENTRY = (
    '{"rule": "FK101", "schema": "public", "table": "t", "constraint": null, "fingerprint": "x"}'
)


def _baseline(findings: str) -> str:
    return f'{{"fkaudit-baseline": 1, "findings": [{findings}]}}'


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("null", 'expected a JSON object with "fkaudit-baseline": 1 and "findings", found null'),
        ("[]", '"findings", found a list'),
        ('"findings"', '"findings", found the string "findings"'),
        (
            '{"fkaudit-baseline": "1", "findings": []}',
            'expected "fkaudit-baseline": 1, found the string "1"',
        ),
        ('{"fkaudit-baseline": 1}', '"findings" is missing'),
        ('{"fkaudit-baseline": 1, "findings": null}', '"findings" must be a list, found null'),
        ('{"fkaudit-baseline": 1, "findings": {}}', '"findings" must be a list, found an object'),
        (_baseline(f"{ENTRY}, 7"), "findings[1] must be an object, found the number 7"),
        (_baseline(f"{ENTRY}, null"), "findings[1] must be an object, found null"),
        (
            _baseline('{"rule": "FK101", "schema": "public"}'),
            "findings[0] has no 'table', 'constraint', 'fingerprint'",
        ),
        (_baseline(ENTRY.replace('"t"', "null")), "findings[0].table must be a string, found null"),
        (
            _baseline(ENTRY.replace('"x"', "[1]")),
            "findings[0].fingerprint must be a string, found a list",
        ),
        (
            _baseline(ENTRY.replace("null", "false")),
            "findings[0].constraint must be a string or null, found false",
        ),
        (
            _baseline(ENTRY.replace('"FK101"', "101")),
            "findings[0].rule must be a string, found the number 101",
        ),
    ],
    ids=[
        "null",
        "list",
        "string",
        "header-type",
        "no-findings",
        "findings-null",
        "findings-object",
        "entry-number",
        "entry-null",
        "missing-keys",
        "table-null",
        "fingerprint-list",
        "constraint-bool",
        "rule-number",
    ],
)
def test_malformed_baselines(db: str, tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")
    prefix = f"fkaudit: error: {path}: not a fkaudit baseline file: "
    if expected.startswith('"findings", found'):
        prefix += 'expected a JSON object with "fkaudit-baseline": 1 and '
    _assert_one_line(db, path, prefix + expected)


def test_text_that_is_not_a_json_baseline(db: str, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"fkaudit-baseline": 1,\n "findings": [,]}', encoding="utf-8")
    _assert_one_line(db, path, f"fkaudit: error: {path}:2: not a baseline file: Expecting value")
    path.write_bytes(b'{"fkaudit-baseline": 1, "findings": ["caf\xe9"]}')
    _assert_one_line(
        db,
        path,
        f"fkaudit: error: {path}: not a fkaudit baseline file: not "
        "UTF-8 text (byte 0xe9 at offset 41)",
    )


def test_a_directory(db: str, tmp_path: Path) -> None:
    _assert_one_line(db, tmp_path, "is a directory")


def _assert_one_line(db: str, path: Path, expected: str) -> None:
    for args in (
        ["check", db, "--baseline", str(path)],
        ["check", db, "--baseline", str(path), "--update-baseline"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert expected in lines[0], lines[0]
        for python in ("NoneType", "subscriptable", "'dict'", "'list'", "'str'", "attribute"):
            assert python not in lines[0], lines[0]
