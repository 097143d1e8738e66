"""The commands that only print text start fast: they never load psycopg or a table library.

`fkaudit --help`, `fkaudit rules` and `fkaudit explain` run as fresh processes for one screen
of text, where importing psycopg alone cost 0.15 s. Which modules a command loads is checked
in a fresh interpreter (this one has long imported everything), not timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("psycopg", "tabulate", "logging")  # logging: only the commands that connect need it

_PROBE = """
import json, sys
from fkaudit.cli import main
try:
    main(sys.argv[1:], prog_name="fkaudit", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""


def _heavy_modules(*args: str) -> list[str]:
    """The heavy modules loaded by `fkaudit ARGS`, run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=set(HEAVY)), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip(), done.stderr  # the command printed what it is for
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["rules"],
        ["rules", "--format", "json"],
        ["explain", "FK101"],
        ["check", "--help"],
    ],
    ids=" ".join,
)
def test_text_commands_load_no_heavy_module(args: list[str]) -> None:
    assert _heavy_modules(*args) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check is not vacuous: a command that reads a database does load psycopg."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, fkaudit.api; print('psycopg' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "True"
