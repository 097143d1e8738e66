"""How a migration tool runs a file: inside one transaction, or statement by statement.

A lock is held until the transaction that took it ends, so what a migration blocks depends on
the transaction its tool runs it in, not on the SQL alone. Each tool's rule, as its own
documentation and source describe it:

- Flyway (`V1__x.sql`): one transaction per script, unless `V1__x.sql.conf` sets
  `executeInTransaction` (false: none; true: one, whatever the script holds) or the script
  holds a statement PostgreSQL refuses inside a transaction (`CREATE INDEX CONCURRENTLY`, ...):
  then none, and Flyway (by default, `mixed=false`) refuses a script that holds other
  statements beside it.
- golang-migrate (`1_x.up.sql`) and Prisma (`<ts>_x/migration.sql`): the file is sent as one
  query, which PostgreSQL runs as one implicit transaction when it holds several statements;
  a file of one statement is no transaction block, which is how both run `CREATE INDEX
  CONCURRENTLY` (golang-migrate's `x-multi-statement` splits every file: give
  `--transaction statement`).
- goose (`-- +goose Up`): one transaction per file, unless `-- +goose NO TRANSACTION`.
- dbmate (`-- migrate:up`): one transaction per file, unless `-- migrate:up transaction:false`.
- Anything else (plain SQL, Django's `sqlmigrate` output, Rails' logged SQL): statement by
  statement, as psql runs a file; the file's own `BEGIN;` ... `COMMIT;` are its transactions
  (`sqlmigrate` writes them for an atomic migration).

`--transaction file` or `--transaction statement` overrides the tool's rule for every file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.schemafile import flyway_version
from fkaudit.sqlsource import display_path

TOOLS = ("flyway", "golang-migrate", "prisma", "goose", "dbmate", "psql")
OVERRIDES = ("auto", "file", "statement")

# Statements Flyway's PostgreSQL parser runs outside a transaction, which makes it run the whole
# script without one (flyway/flyway PostgreSQLParser.detectCanExecuteInTransaction).
_FLYWAY_NON_TRANSACTIONAL = re.compile(
    rb"^\s*(?:(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\s+(?:\(.*\)\s*)?"
    rb"(?:SCHEMA|DATABASE|SYSTEM)|VACUUM|DISCARD\s+ALL|ALTER\s+SYSTEM|"
    rb"(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE|SUBSCRIPTION))\b",
    re.IGNORECASE | re.DOTALL,
)
_GOOSE_UP = re.compile(r"^--\s*\+goose\s+up\b", re.IGNORECASE | re.MULTILINE)
_GOOSE_NO_TRANSACTION = re.compile(r"^--\s*\+goose\s+no\s+transaction\b", re.I | re.M)
_DBMATE_UP = re.compile(r"^--\s*migrate:up\b", re.IGNORECASE | re.MULTILINE)
_DBMATE_NO_TRANSACTION = re.compile(r"^--\s*migrate:up\b.*\btransaction:false\b", re.I | re.M)
_FLYWAY_CONF = re.compile(r"^\s*executeInTransaction\s*=\s*(true|false)\s*$", re.I | re.M)


@dataclass(frozen=True)
class FileTransaction:
    """Whether a migration file runs inside one transaction its tool opens, and why."""

    wrapped: bool
    why: str


def detect_tool(directory: Path, files: Sequence[Path], texts: Sequence[str]) -> str:
    """The migration tool whose folder this is, from its file names and markers."""
    names = [path.name for path in files]
    if (directory / "migration_lock.toml").is_file() or (
        names and all(name == "migration.sql" for name in names)
    ):
        return "prisma"
    if any(name.endswith(".up.sql") for name in names):
        return "golang-migrate"
    if names and all(flyway_version(name) for name in names):
        return "flyway"
    if any(_GOOSE_UP.search(text) for text in texts):
        return "goose"
    if any(_DBMATE_UP.search(text) for text in texts):
        return "dbmate"
    return "psql"


def file_transaction(
    tool: str, path: Path, text: str, statements: Sequence[bytes], override: str = "auto"
) -> FileTransaction:
    """How `tool` runs the file at `path` (its `text`, split into `statements`)."""
    if override == "file":
        return FileTransaction(True, "--transaction file")
    if override == "statement":
        return FileTransaction(False, "--transaction statement")
    if override != "auto":
        raise FkauditError(f"--transaction {override}: expected one of {', '.join(OVERRIDES)}")
    if tool == "flyway":
        return _flyway(path, statements)
    if tool in ("golang-migrate", "prisma"):
        if len(statements) < 2:
            return FileTransaction(
                False,
                f"{tool} sends the file as one query; a query of one statement is no "
                "transaction block",
            )
        return FileTransaction(
            True, f"{tool} sends the file as one query, which PostgreSQL runs as one transaction"
        )
    if tool == "goose":
        if _GOOSE_NO_TRANSACTION.search(text):
            return FileTransaction(False, "-- +goose NO TRANSACTION")
        return FileTransaction(True, "goose runs each file in one transaction")
    if tool == "dbmate":
        if _DBMATE_NO_TRANSACTION.search(text):
            return FileTransaction(False, "-- migrate:up transaction:false")
        return FileTransaction(True, "dbmate runs each file in one transaction")
    return FileTransaction(False, "statement by statement, as psql runs a file")


def _flyway(path: Path, statements: Sequence[bytes]) -> FileTransaction:
    """Flyway's rule for one script: its `.sql.conf` first, else whether it holds a statement
    Flyway runs outside a transaction, which it refuses to mix with others unless told to."""
    conf = path.with_name(path.name + ".conf")
    setting = (
        _FLYWAY_CONF.search(conf.read_text(encoding="utf-8", errors="replace"))
        if conf.is_file()
        else None
    )
    if setting is not None:
        value = setting.group(1).lower()
        return FileTransaction(value == "true", f"{conf.name}: executeInTransaction={value}")
    outside = [s for s in statements if _FLYWAY_NON_TRANSACTIONAL.match(s)]
    if not outside:
        return FileTransaction(True, "Flyway runs each script in one transaction")
    if len(outside) < len(statements):
        raise FkauditError(
            f"{printable(display_path(path))}: Flyway refuses this script: it mixes "
            "statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY, ...) with "
            "others (the default mixed=false); move them to a script of their own, or give "
            "--transaction statement if your Flyway sets mixed=true"
        )
    return FileTransaction(
        False, "Flyway runs a script of statements that cannot run in a transaction without one"
    )
