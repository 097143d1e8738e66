"""Audit SQL files without a database service: `--schema-file FILE` and `--migrations DIR`.

The files are applied to a fresh database on a throwaway server (`fkaudit.server`) with the
server's own `psql`, because real schema files are psql scripts: `pg_dump` output holds
meta-commands (`\\restrict`, `\\connect`) and `COPY ... FROM stdin` blocks that no driver runs.
Each file gets its own psql session, as a migration tool gives each migration, so a dump's
`SET search_path = ''` does not leak into the next file.

Dumps taken without `--no-owner` name roles that do not exist here (`OWNER TO app`, `GRANT ...
TO reader`); such a role is created on the throwaway server and the files are applied again from
the start, so the result is what the dump describes. Any other error stops the run with the
file, the line of the failing statement (the exact line when the server gives a position) and
the server's message.

Migration folders are applied in natural name order (`V2__` before `V10__`), searching
subfolders too (Prisma keeps `<timestamp>_<name>/migration.sql`); down migrations
(`*.down.sql`, `down.sql`) are skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import psycopg
from psycopg import sql

from fkaudit.errors import FkauditError
from fkaudit.server import ThrowawayServer, find_psql

DATABASE = "fkaudit"
_MAX_ROLE_ROUNDS = 100
_PROBLEMS = ("ERROR:", "FATAL:", "PANIC:", "error:", "fatal:")


@dataclass(frozen=True)
class SqlError:
    """Where applying the files failed, for a one-line report."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing digit runs as numbers: V2__x.sql before V10__x.sql."""
    parts: list[tuple[int, int | str]] = []
    for is_digit, chars in groupby(path.as_posix(), key=str.isdigit):
        run = "".join(chars)
        parts.append((0, int(run)) if is_digit else (1, run))
    return tuple(parts)


def migration_files(directory: Path) -> tuple[Path, ...]:
    """The up-migrations under `directory`, in the order they are applied."""
    if not directory.is_dir():
        raise FkauditError(f"--migrations {directory}: not a directory")
    files = [
        path for path in directory.rglob("*.sql")
        if path.is_file() and path.name != "down.sql" and not path.name.endswith(".down.sql")
    ]  # fmt: skip
    if not files:
        raise FkauditError(f"--migrations {directory}: no .sql files in it")
    return tuple(sorted(files, key=lambda p: natural_key(p.relative_to(directory))))


def parse_psql_error(stderr: str, path: Path) -> SqlError | None:
    """The first error psql reported for `path` (run with --echo-errors), or None.

    psql prefixes messages with `psql:FILE:LINE:`, LINE being where the failing statement
    ends; `--echo-errors` adds the statement itself, which gives its first line, and a server
    error position (`LINE n:`) counts from there.
    """
    prefix = f"psql:{path}:"
    lines = stderr.splitlines()
    for i, text in enumerate(lines):
        if not text.startswith(prefix):
            continue
        number, _, message = text[len(prefix):].partition(": ")
        if not number.isdigit() or not message.startswith(_PROBLEMS):
            continue
        end_line = int(number)
        statement = _echoed_statement(lines[i + 1:], f"{prefix}{number}: STATEMENT:  ")
        line = end_line
        if statement is not None:
            body = statement.splitlines() or [""]
            line = end_line - len(body) + 1
            position = _error_position(lines[i + 1:])
            if position is not None:
                line += position - 1
            else:  # point at the statement, not at the comments psql sent along with it
                while len(body) > 1 and (not body[0].strip() or body[0].lstrip().startswith("--")):
                    body.pop(0)
                    line += 1
        kind, _, detail = message.partition(":")
        return SqlError(path, line, f"{kind.upper()}: {detail.strip()}")
    return None


def _echoed_statement(lines: Sequence[str], marker: str) -> str | None:
    for i, text in enumerate(lines):
        if text.startswith(marker):
            rest = [text[len(marker):]]
            for following in lines[i + 1:]:
                if following.startswith("psql:"):
                    break
                rest.append(following)
            return "\n".join(rest)
        if text.startswith("psql:"):
            return None
    return None


def _error_position(lines: Sequence[str]) -> int | None:
    for text in lines:
        if text.startswith("psql:"):
            return None
        head, _, _ = text.partition(":")
        if head.startswith("LINE ") and head[5:].isdigit():
            return int(head[5:])
    return None


def _missing_role(error: SqlError) -> str | None:
    """The role named by `role "x" does not exist`, which a dump's OWNER TO/GRANT needs."""
    head, quote, rest = error.message.partition('role "')
    if not quote or not rest.endswith('" does not exist') or head != "ERROR: ":
        return None
    return rest[: -len('" does not exist')]


class SchemaLoader:
    """Applies SQL files to a fresh database of a running throwaway server."""

    def __init__(self, server: ThrowawayServer) -> None:
        self.server = server
        found = find_psql(server.bindir)
        if found is None:
            raise FkauditError(
                f"no psql in {server.bindir}, in the embedded wheel or on PATH: "
                "it applies the schema files"
            )
        self.psql, own = found
        # A copied installation's libraries (see ThrowawayServer) serve its own psql only.
        self.library_path = server.library_path if own else None

    def load(self, files: Sequence[Path]) -> str:
        """Apply `files` in order; the DSN of the resulting database."""
        for _ in range(_MAX_ROLE_ROUNDS):
            self._recreate_database()
            error = self._apply(files)
            if error is None:
                return self.server.dsn(DATABASE)
            role = _missing_role(error)
            if role is None:
                raise FkauditError(str(error))
            self._execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
        raise FkauditError(f"applying the schema files needed more than {_MAX_ROLE_ROUNDS} roles")

    def _execute(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.server.dsn(), autocommit=True) as conn:
            conn.execute(statement)

    def _recreate_database(self) -> None:
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(DATABASE)))
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))

    def _apply(self, files: Sequence[Path]) -> SqlError | None:
        env = {
            **os.environ, "LC_ALL": "C", "LANG": "C", "PGCLIENTENCODING": "UTF8",
            "PGOPTIONS": "-c client_min_messages=warning", "PGAPPNAME": "fkaudit-schema-file",
        }  # fmt: skip
        if self.library_path:
            env["LD_LIBRARY_PATH"] = self.library_path
        for path in files:
            done = subprocess.run(
                [str(self.psql), "--no-psqlrc", "--quiet", "--echo-errors",
                 "--set", "ON_ERROR_STOP=1", "--dbname", self.server.dsn(DATABASE),
                 "--file", str(path)],
                capture_output=True, text=True, errors="replace", env=env, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                error = parse_psql_error(done.stderr, path)
                if error is None:
                    last = done.stderr.strip().splitlines()[-1:] or ["no message"]
                    error = SqlError(path, 1, f"psql failed: {last[0]}")
                return error
        return None


@contextmanager
def loaded_database(files: Sequence[Path], bindir: Path | None) -> Iterator[str]:
    """A throwaway server with `files` applied: yields the DSN, stops the server after."""
    with ThrowawayServer(bindir) as server:
        yield SchemaLoader(server).load(files)
