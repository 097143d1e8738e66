"""`python -m fkaudit`."""

from fkaudit.cli import main

main()
