"""Audit SQL files without a database service: `--schema-file FILE` and `--migrations DIR`.

The files are applied to a fresh database on a throwaway server (`fkaudit.server`). They are
data, never code: `fkaudit.psqlscript` splits each one the way psql would and refuses any psql
meta-command but pg_dump's own (`\\connect`, `\\encoding`, `\\restrict`, `\\unrestrict`) with its
file and line before anything runs; fkaudit then sends the statements and `COPY ... FROM stdin`
data itself, so a `\\! cmd` hidden anywhere never reaches a shell. Each file gets its own
session, as a migration tool gives each migration, so a dump's `SET search_path = ''` does not
leak into the next file.

Dumps taken without `--no-owner` name roles that do not exist here (`OWNER TO app`, `GRANT ...
TO reader`); such a role is created on the throwaway server and the files are applied again from
the start, so the result is what the dump describes. Any other error stops the run with the
file, the line of the failing statement (the exact line when the server gives a position, the
data row for COPY) and the server's message.

Migration folders are applied in natural name order (`V2__` before `V10__`), searching
subfolders too (Prisma keeps `<timestamp>_<name>/migration.sql`); down migrations
(`*.down.sql`, `down.sql`) are skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from fkaudit.errors import FkauditError
from fkaudit.psqlscript import Connect, CopyIn, Encoding, Script, Statement, Step, read_script
from fkaudit.server import ThrowawayServer

DATABASE = "fkaudit"
_MAX_ROLE_ROUNDS = 100
# Notices are not shown; a dump's own settings (SET ...) follow these and win.
_OPTIONS = "-c client_min_messages=warning"


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


def _missing_role(error: SqlError) -> str | None:
    """The role named by `role "x" does not exist`, which a dump's OWNER TO/GRANT needs."""
    head, quote, rest = error.message.partition('role "')
    if not quote or not rest.endswith('" does not exist') or head != "ERROR: ":
        return None
    return rest[: -len('" does not exist')]


def read_scripts(files: Sequence[Path]) -> tuple[Script, ...]:
    """Every file split into steps, before anything runs: a refused meta-command anywhere
    stops the run with its file and line (ScriptError, exit 2) and starts no server."""
    scripts = []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FkauditError(f"{path}: {exc.strerror or exc}") from None
        text = raw.decode("latin-1")  # one character per byte: statements go out byte for byte
        up = up_part(text)
        scripts.append(read_script(path, text if up is None else up))
    return tuple(scripts)


def _caught(error: psycopg.Error, path: Path, line: int) -> SqlError:
    """`ERROR: message (first CONTEXT line)` where the server says, else at `line`."""
    diag = error.diag
    message = f"{diag.severity_nonlocalized or diag.severity or 'ERROR'}: " + (
        (diag.message_primary or str(error)).strip())
    context = (diag.context or "").strip().splitlines()
    if context:
        message += f" ({context[0].strip()})"
    return SqlError(path, line, message)


def _error_line(error: psycopg.Error, step: Statement | CopyIn, encoding: str) -> int:
    """The file line of an error: its position in the statement (not in a query run inside
    it: DO blocks, functions), or its row of COPY data, else the statement's first line."""
    diag = error.diag
    if isinstance(step, CopyIn):
        row = re.search(r"^COPY [^\n]*?, line (\d+)", diag.context or "")
        if row is not None:
            return step.data_line + int(row[1]) - 1
    if diag.statement_position and not diag.internal_query:
        text = step.text.decode(encoding, errors="replace")
        return step.line + text[: int(diag.statement_position) - 1].count("\n")
    return step.line


class SchemaLoader:
    """Applies SQL files to a fresh database of a running throwaway server.

    Statements are sent by psycopg, one query each, as psql would send them; `COPY ... FROM
    stdin` gets its data lines; `\\connect` opens a connection to the named database. The
    caller's PGOPTIONS (say `-c myapp.tenant=x` that a dump reads with current_setting) is
    kept, with fkaudit's own settings after it.
    """

    def __init__(self, server: ThrowawayServer, options: str = "") -> None:
        self.server = server
        self.options = " ".join(part for part in (options.strip(), _OPTIONS) if part)

    def load(self, scripts: Sequence[Script]) -> str:
        """Apply `scripts` in order; the DSN of the database they built."""
        roles: list[str] = []
        for _ in range(_MAX_ROLE_ROUNDS):
            self._reset(roles)
            error = self._apply(scripts)
            if error is None:
                return self.server.dsn(self._built_database([s.path for s in scripts]))
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

    def _connect(self, dbname: str) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.server.dsn(dbname), autocommit=True, options=self.options,
                               application_name="fkaudit-schema-file",
                               client_encoding="UTF8")  # fmt: skip

    def _apply(self, scripts: Sequence[Script]) -> SqlError | None:
        """Each file in its own session, as a migration tool gives each migration, so a dump's
        `SET search_path = ''` does not leak into the next file."""
        for script in scripts:
            error = self._apply_one(script)
            if error is not None:
                return error
        return None

    def _apply_one(self, script: Script) -> SqlError | None:
        try:
            conn = self._connect(DATABASE)
        except psycopg.Error as exc:
            return SqlError(script.path, 1, f"cannot connect to the throwaway server: {exc}")
        try:
            for step in script.steps:
                if isinstance(step, Connect):
                    conn.close()
                    try:
                        conn = self._connect(step.dbname)
                    except psycopg.Error as exc:
                        first = str(exc).strip().splitlines()[-1:] or ["failed"]
                        return SqlError(script.path, step.line,
                                        f"\\connect {step.dbname}: {first[0]}")  # fmt: skip
                    continue
                try:
                    self._run(conn, step)
                except psycopg.Error as exc:
                    if isinstance(step, Encoding):
                        return _caught(exc, script.path, step.line)
                    return _caught(exc, script.path,
                                   _error_line(exc, step, conn.info.encoding))  # fmt: skip
        finally:
            conn.close()
        return None

    @staticmethod
    def _run(conn: psycopg.Connection[tuple[Any, ...]], step: Step) -> None:
        if isinstance(step, Encoding):
            conn.execute(sql.SQL("SET client_encoding TO {}").format(sql.Literal(step.name)))
        elif isinstance(step, CopyIn):
            with conn.cursor() as cur, cur.copy(step.text) as copy:
                copy.write(step.data)
        elif isinstance(step, Statement):
            conn.execute(step.text)


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
    """A throwaway server with `files` applied: yields the DSN, stops the server after.

    The files are read and checked first: a refused one starts no server.
    """
    scripts = read_scripts(files)
    options = os.environ.get("PGOPTIONS", "")  # kept for the files' sessions, see SchemaLoader
    with _libpq_environment_cleared(), ThrowawayServer(bindir) as server:
        yield SchemaLoader(server, options).load(scripts)
