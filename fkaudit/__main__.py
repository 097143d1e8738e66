"""`python -m fkaudit`."""

from fkaudit.cli import run

run()
