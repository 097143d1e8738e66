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
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

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
    """Sort key comparing digit runs as numbers: 2_x.sql before 10_x.sql."""
    parts: list[tuple[int, int | str]] = []
    for is_digit, chars in groupby(path.as_posix(), key=str.isdigit):
        run = "".join(chars)
        parts.append((0, int(run)) if is_digit else (1, run))
    return tuple(parts)


def _flyway_version(name: str) -> tuple[str, tuple[int, ...]] | None:
    """(`V`, `U` or `R`, version numbers) of a Flyway file name (`V1_1__add.sql`), else None."""
    kind = name[:1]
    version, marker, _ = name[1:].partition("__")
    if kind not in ("V", "U", "R") or not marker:
        return None
    if kind == "R":
        return (kind, ()) if not version else None
    numbers = version.replace("_", ".").split(".")
    if not all(n.isdigit() for n in numbers):
        return None
    return kind, tuple(int(n) for n in numbers)


def migration_files(directory: Path) -> tuple[Path, ...]:
    """The up-migrations under `directory`, in the order they are applied.

    A Flyway folder (every name `V<version>__`, `U<version>__` or `R__`) runs in version
    order (`V1__` < `V1_1__` < `V2__`), repeatable `R__` files last, undo `U` files never;
    any other folder in natural name order.
    """
    if not directory.is_dir():
        raise FkauditError(f"--migrations {directory}: not a directory")
    files = [
        path for path in directory.rglob("*.sql")
        if path.is_file() and path.name != "down.sql" and not path.name.endswith(".down.sql")
    ]  # fmt: skip
    if not files:
        raise FkauditError(f"--migrations {directory}: no .sql files in it")
    flyway = {path: _flyway_version(path.name) for path in files}
    if all(flyway.values()):
        versioned = [(v, p) for p, v in flyway.items() if v is not None and v[0] != "U"]
        return tuple(p for v, p in sorted(versioned, key=lambda vp: (vp[0][0] == "R", vp[0][1],
                                                                      vp[1].name)))  # fmt: skip
    return tuple(sorted(files, key=lambda p: natural_key(p.relative_to(directory))))


_DOWN_MARKERS = ("-- +goose down", "-- migrate:down")


def up_part(text: str) -> str | None:
    """The text before a goose or dbmate down section (`-- +goose Down`, `-- migrate:down`),
    or None when the file has none: applying a down section would undo the migration."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().lower().startswith(_DOWN_MARKERS):
            return "".join(lines[:i])
    return None


# psql's message prefix: `psql:FILE:LINE: ERROR:  text` (FILE may be a file included with \i).
_PSQL_ERROR = re.compile(
    r"^psql:(?P<path>.+?):(?P<line>\d+): (?P<kind>ERROR|FATAL|PANIC|error|fatal):\s+(?P<text>.*)$"
)


def parse_psql_error(stderr: str) -> SqlError | None:
    """The first error psql reported (run with --echo-errors), or None.

    psql prefixes messages with `psql:FILE:LINE:`, LINE being where the failing statement
    ends; `--echo-errors` adds the statement itself, which gives its first line, and a server
    error position (`LINE n:`) counts from there — unless it belongs to a query run inside
    the statement (`QUERY:`, in DO blocks and functions). A `CONTEXT:` line (which row of a
    COPY, which line of a function) is added to the message.
    """
    lines = stderr.splitlines()
    for i, text in enumerate(lines):
        match = _PSQL_ERROR.match(text)
        if match is None:
            continue
        path, end_line = match["path"], int(match["line"])
        following = _until_next_message(lines[i + 1:])
        message = f"{match['kind'].upper()}: {match['text'].strip()}"
        context = next((t[9:].strip() for t in following if t.startswith("CONTEXT:  ")), None)
        if context:
            message += f" ({context})"
        statement = _echoed_statement(lines[i + 1:], f"psql:{path}:{end_line}: STATEMENT:  ")
        line = end_line
        if statement is not None:
            body = statement.splitlines() or [""]
            line = end_line - len(body) + 1
            position = _error_position(following)
            if position is not None:
                line += position - 1
            else:  # point at the statement, not at the comments psql sent along with it
                while len(body) > 1 and (not body[0].strip() or body[0].lstrip().startswith("--")):
                    body.pop(0)
                    line += 1
        return SqlError(Path(path), line, message)
    return None


def _until_next_message(lines: Sequence[str]) -> list[str]:
    taken = []
    for text in lines:
        if text.startswith("psql:"):
            break
        taken.append(text)
    return taken


def _echoed_statement(lines: Sequence[str], marker: str) -> str | None:
    for i, text in enumerate(lines):
        if text.startswith(marker):
            rest = [text[len(marker):], *_until_next_message(lines[i + 1:])]
            return "\n".join(rest)
    return None


def _error_position(lines: Sequence[str]) -> int | None:
    """`LINE n:` of the statement's own text; None when the position is in an inner query."""
    if any(text.startswith("QUERY:  ") for text in lines):
        return None
    for text in lines:
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
        """Apply `files` in order; the DSN of the database they built."""
        roles: list[str] = []
        for _ in range(_MAX_ROLE_ROUNDS):
            self._reset(roles)
            error = self._apply(files)
            if error is None:
                return self.server.dsn(self._built_database(files))
            role = _missing_role(error)
            if role is None:
                raise FkauditError(str(error))
            roles.append(role)
        raise FkauditError(f"applying the schema files needed more than {_MAX_ROLE_ROUNDS} roles")

    def _admin(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.server.dsn(), autocommit=True)

    def _reset(self, roles: Sequence[str]) -> None:
        """A fresh `fkaudit` database, no database or role an earlier round's files created,
        and the roles the files need but do not create."""
        with self._admin() as conn:
            for name in _databases(conn):
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            for (name,) in conn.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE oid >= 16384 ORDER BY rolname"
            ).fetchall():  # 16384: the first OID of objects made after initdb
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
            for name in roles:
                conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))

    def _built_database(self, files: Sequence[Path]) -> str:
        """The one database holding tables: `fkaudit`, or the one a dump made with `--create`
        switched to (`CREATE DATABASE x; \\connect x`)."""
        with self._admin() as conn:
            names = _databases(conn)
        with_tables = [name for name in names if _has_tables(self.server.dsn(name))]
        shown = ", ".join(str(path) for path in files[:3]) + (", ..." if len(files) > 3 else "")
        if not with_tables:
            raise FkauditError(f"{shown}: applied, but no table exists afterwards "
                               "(nothing to audit: a down migration?)")  # fmt: skip
        if len(with_tables) > 1:
            raise FkauditError(f"{shown}: tables end up in several databases "
                               f"({', '.join(with_tables)}); fkaudit audits one")  # fmt: skip
        return with_tables[0]

    def _apply(self, files: Sequence[Path]) -> SqlError | None:
        env = {
            **os.environ, "LC_ALL": "C", "LANG": "C", "PGCLIENTENCODING": "UTF8",
            "PGOPTIONS": "-c client_min_messages=warning", "PGAPPNAME": "fkaudit-schema-file",
        }  # fmt: skip
        if self.library_path:
            env["LD_LIBRARY_PATH"] = self.library_path
        with tempfile.TemporaryDirectory(prefix="fkaudit-sql-") as scratch:
            for path in files:
                applied = path
                up = up_part(path.read_text(encoding="utf-8", errors="replace"))
                if up is not None:  # same lines as the file, down section cut off
                    applied = Path(scratch) / path.name
                    applied.write_text(up, encoding="utf-8")
                done = subprocess.run(
                    [str(self.psql), "--no-psqlrc", "--quiet", "--echo-errors",
                     "--set", "ON_ERROR_STOP=1", "--dbname", self.server.dsn(DATABASE),
                     "--file", str(applied)],
                    capture_output=True, text=True, errors="replace", env=env, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    return _blame(done.stderr, applied, path)
        return None


def _blame(stderr: str, applied: Path, path: Path) -> SqlError:
    """The error psql reported, located in the user's file (not in a scratch copy)."""
    error = parse_psql_error(stderr)
    if error is None:
        last = stderr.strip().splitlines()[-1:] or ["no message"]
        return SqlError(path, 1, f"psql could not apply the file: {last[0]}")
    if error.path == applied:
        return SqlError(path, error.line, error.message)
    return error


def _databases(conn: psycopg.Connection[Any]) -> list[str]:
    """The databases besides `postgres` and the templates: ours, and any the files made."""
    rows = conn.execute(
        "SELECT datname FROM pg_catalog.pg_database"
        " WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname"
    ).fetchall()
    return [str(name) for (name,) in rows]


def _has_tables(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'"
            " AND n.nspname NOT LIKE 'pg\\_%')"
        ).fetchone()
    return bool(row and row[0])


@contextmanager
def _libpq_environment_cleared() -> Iterator[None]:
    """Hide the user's PG* variables while the throwaway server is used.

    They describe the user's database (PGSSLMODE=require, PGHOSTADDR, PGSERVICE, ...), and
    libpq would apply them to connections to the throwaway server, which has no SSL and lives
    on a private socket. Restored afterwards.
    """
    saved = {key: os.environ.pop(key) for key in list(os.environ) if key.startswith("PG")}
    try:
        yield
    finally:
        os.environ.update(saved)


@contextmanager
def loaded_database(files: Sequence[Path], bindir: Path | None) -> Iterator[str]:
    """A throwaway server with `files` applied: yields the DSN, stops the server after."""
    with _libpq_environment_cleared(), ThrowawayServer(bindir) as server:
        yield SchemaLoader(server).load(files)
