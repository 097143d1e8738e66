"""Audit SQL files without a database service: `--schema-file FILE` and `--migrations DIR`.

The files are applied to a fresh database on a throwaway server (`fkaudit.server`). They are
data, never code: `fkaudit.psqlscript` splits each one the way psql would and refuses any psql
meta-command but pg_dump's own (`\\connect`, `\\encoding`, `\\restrict`, `\\unrestrict`) with its
file and line before anything runs; fkaudit then sends the statements and `COPY ... FROM stdin`
data itself, so a `\\! cmd` hidden anywhere never reaches a shell. Each file gets its own
session, as a migration tool gives each migration, so a dump's `SET search_path = ''` does not
leak into the next file. They run as an ordinary role, never a superuser, so the server itself
refuses the SQL that would reach this machine (`COPY ... PROGRAM`, server files, `ALTER SYSTEM`,
C functions); see `SchemaLoader`.

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from fkaudit.errors import FkauditError
from fkaudit.pgbuilds import choose_build, required_extensions
from fkaudit.psqlscript import Connect, CopyIn, Encoding, Script, Statement, Step, read_script
from fkaudit.server import ThrowawayServer

DATABASE = "fkaudit"
# The throwaway server's bootstrap superuser: a name no dump uses, so that a dump's `OWNER TO
# postgres` names an ordinary role the loader may hand objects to.
SUPERUSER = "fkaudit_bootstrap_superuser"
# The role the files run as, and the audit after them: no superuser (see `SchemaLoader`).
LOADER = "fkaudit"
UNPRIVILEGED = "schema files are applied as an unprivileged role"
_INSUFFICIENT_PRIVILEGE = "42501"
_MISSING_ROLE = re.compile(r'role "(.*)" does not exist', re.DOTALL)
_MAX_ROLE_ROUNDS = 100
# Notices are not shown; a dump's own settings (SET ...) follow these and win.
_OPTIONS = "-c client_min_messages=warning"


@dataclass(frozen=True)
class SqlError:
    """Where applying the files failed, for a one-line report."""

    path: Path
    line: int
    message: str
    # The role named by `role "x" does not exist` (42704 for OWNER TO and GRANT, 22023 for SET
    # ROLE), which the files need and do not create: read from the server's primary message,
    # not from `message`, which carries a CONTEXT line when the statement failed inside a DO
    # block or a function.
    missing_role: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing digit runs as numbers: 2_x.sql before 10_x.sql."""
    parts: list[tuple[int, int | str]] = []
    for is_digit, chars in groupby(path.as_posix(), key=str.isdigit):
        run = "".join(chars)
        parts.append((0, int(run)) if is_digit else (1, run))
    return tuple(parts)


def flyway_version(name: str) -> tuple[str, tuple[int, ...]] | None:
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
        path
        for path in directory.rglob("*.sql")
        if path.is_file() and path.name != "down.sql" and not path.name.endswith(".down.sql")
    ]
    if not files:
        raise FkauditError(f"--migrations {directory}: no .sql files in it")
    flyway = {path: flyway_version(path.name) for path in files}
    if all(flyway.values()):
        versioned = [(v, p) for p, v in flyway.items() if v is not None and v[0] != "U"]
        return tuple(
            p for v, p in sorted(versioned, key=lambda vp: (vp[0][0] == "R", vp[0][1], vp[1].name))
        )
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


def caught_error(error: psycopg.Error, path: Path, line: int, major: int) -> SqlError:
    """`ERROR: message (first CONTEXT line)` where the server says, else at `line`."""
    diag = error.diag
    message = f"{diag.severity_nonlocalized or diag.severity or 'ERROR'}: " + (
        (diag.message_primary or str(error)).strip()
    )
    context = (diag.context or "").strip().splitlines()
    if context:
        message += f" ({context[0].strip()})"
    if diag.sqlstate == _INSUFFICIENT_PRIVILEGE:
        message += unprivileged(diag.message_primary or "", major)
    role = _MISSING_ROLE.fullmatch(diag.message_primary or "")
    return SqlError(
        path,
        line,
        message,
        role[1] if role is not None else None,
    )


def unprivileged(refused: str, major: int) -> str:
    """What to add to a permission error: the files ran as an ordinary role, and, where an
    older server is why, which major would have let it."""
    if refused.startswith("permission denied to create extension") and major < 13:
        return (
            f": {UNPRIVILEGED}, and before PostgreSQL 13 only a superuser creates "
            "extensions (fkaudit does for `CREATE EXTENSION IF NOT EXISTS name [WITH SCHEMA "
            "public]`): write it so, or audit with a newer server (the embedded one)"
        )
    if refused.startswith("permission denied to create role") and major < 16:
        return (
            f": {UNPRIVILEGED}, and before PostgreSQL 16 CREATEROLE could grant itself "
            "any privilege: audit with a newer server (the embedded one), or leave "
            "CREATE ROLE out (fkaudit creates roles named by OWNER TO and GRANT)"
        )
    return f": {UNPRIVILEGED}"


def error_line(error: psycopg.Error, step: Statement | CopyIn, encoding: str) -> int:
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

    The files run as `LOADER`, an ordinary role, never as a superuser: a superuser's SQL reaches
    the machine (`COPY ... FROM PROGRAM`, `COPY TO` a file, `lo_export`, `pg_read_file`,
    `ALTER SYSTEM`, C and internal functions), and the server runs as the invoking user. Read
    statement by statement, a file could hide such SQL anywhere (`EXECUTE 'COP' || 'Y ...'` in
    a DO block), so the server itself is what refuses it. The loader owns the database and may
    create databases (`pg_dump --create`), so it may create everything a schema is made of and
    PostgreSQL 13's trusted extensions; it holds every role fkaudit creates for the files WITH
    ADMIN OPTION, so `OWNER TO`, `GRANT` and `SET ROLE` to them work. The superuser only
    prepares that (roles, the empty database) with statements fkaudit composes, and never runs
    in a database after a file has: the audit connects as the loader too, so no function a
    file defines (an equality operator an orphan scan calls, a column default FK302 reads) runs
    with more privileges than the file had.
    """

    def __init__(self, server: ThrowawayServer, options: str = "") -> None:
        self.server = server
        self.options = " ".join(part for part in (options.strip(), _OPTIONS) if part)
        self.major = 0  # the server's major version, known once load() has connected
        self.database = ""  # the database the files built, known once load() has succeeded

    def load(
        self, scripts: Sequence[Script], *, require_tables: bool = True, roles: Sequence[str] = ()
    ) -> str:
        """Apply `scripts` in order; the DSN of the database they built (the loader's).

        Without `require_tables`, files that create no table (or none at all: the base of a
        review whose first migration is new) leave the empty `fkaudit` database. `roles` are
        created first, as those the files name and do not create are (a review's new
        migrations may be the first to name one)."""
        self._prepare()
        extensions = _extensions_to_precreate(scripts, self.major)
        roles = list(roles)
        for _ in range(_MAX_ROLE_ROUNDS):
            self._reset(roles, extensions)
            error = self._apply(scripts)
            if error is None:
                self.database = self._built_database([s.path for s in scripts], require_tables)
                return self.server.dsn(self.database, user=LOADER)
            role = error.missing_role
            # pg_*: reserved, a newer server's; one created already: the files dropped it
            if role is None or role.startswith("pg_") or role in roles:
                raise FkauditError(str(error))
            roles.append(role)
        raise FkauditError(f"applying the schema files needed more than {_MAX_ROLE_ROUNDS} roles")

    def _admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        """The superuser, in `postgres` (which the loader may not enter), in a database no file
        has touched yet, or for one statement fkaudit composes. Settings the loader may give a
        database it owns (`ALTER DATABASE ... SET`) are overridden where they could matter."""
        return psycopg.connect(
            self.server.dsn(dbname),
            autocommit=True,
            options="-c search_path=pg_catalog -c local_preload_libraries="
            " -c default_transaction_read_only=off",
        )

    def _prepare(self) -> None:
        """Keep the loader out of `postgres` and `template1`: objects it left there would meet
        the superuser's queries, or be copied into every database created after."""
        with self._admin() as conn:
            self.major = conn.info.server_version // 10000
            conn.execute("REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC")

    def _reset(self, roles: Sequence[str], extensions: Sequence[str] = ()) -> None:
        """A fresh `fkaudit` database owned by the loader, no database or role an earlier
        round's files created, and the roles the files need but do not create.

        Those roles may create databases and own objects in any schema of `fkaudit`, as the
        superuser who made the dump could: `ALTER ... OWNER TO` demands that of the new owner
        when a non-superuser runs it.
        """
        with self._admin() as conn:
            for name in _databases(conn):
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            for (name,) in conn.execute(
                "SELECT rolname FROM pg_catalog.pg_roles WHERE oid >= 16384 ORDER BY rolname"
            ).fetchall():  # 16384: the first OID of objects made after initdb
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
            loader = sql.Identifier(LOADER)
            # CREATEROLE only where PostgreSQL 16 confined it to the roles it creates: before,
            # it could grant itself pg_execute_server_program.
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB BYPASSRLS NOSUPERUSER {}").format(
                    loader, sql.SQL("CREATEROLE" if self.major >= 16 else "NOCREATEROLE")
                )
            )
            if self.major >= 16:  # roles the files create: the loader may SET ROLE to them
                conn.execute(
                    sql.SQL("ALTER ROLE {} SET createrole_self_grant = 'set, inherit'").format(
                        loader
                    )
                )
            for name in roles:
                role = sql.Identifier(name)
                conn.execute(sql.SQL("CREATE ROLE {} CREATEDB").format(role))
                conn.execute(sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(role, loader))
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), loader)
            )
        with self._admin(DATABASE) as conn:  # still empty: no file has run in it
            if self.major < 15:  # as PostgreSQL 15 has it: the database owner owns `public`
                conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(loader))
            for name in extensions:  # see _extensions_to_precreate
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA public").format(
                        sql.Identifier(name)
                    )
                )
            # COMMENT ON EXTENSION (pg_dump writes one for each; older ones for plpgsql too)
            # needs the extension's owner, and an extension has no ALTER ... OWNER TO. Owning
            # one lets the loader drop it, no more: its objects stay the superuser's.
            conn.execute(
                sql.SQL(
                    "UPDATE pg_catalog.pg_extension SET extowner = {}::regrole"
                    " WHERE extname = ANY({})"
                ).format(sql.Literal(LOADER), sql.Literal(["plpgsql", *extensions]))
            )
        with self.connect(DATABASE) as conn:  # the loader, owner of the database and `public`
            conn.execute(
                sql.SQL("GRANT CREATE ON DATABASE {} TO PUBLIC").format(sql.Identifier(DATABASE))
            )
            conn.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")

    def _built_database(self, files: Sequence[Path], require_tables: bool = True) -> str:
        """The one database holding tables: `fkaudit`, or the one a dump made with `--create`
        switched to (`CREATE DATABASE x; \\connect x`)."""
        with self._admin() as conn:
            names = _databases(conn)
        with_tables = [name for name in names if _has_tables(self.server.dsn(name, user=LOADER))]
        shown = ", ".join(str(path) for path in files[:3]) + (", ..." if len(files) > 3 else "")
        if not with_tables and not require_tables:
            return DATABASE
        if not with_tables:
            raise FkauditError(
                f"{shown}: applied, but no table exists afterwards "
                "(nothing to audit: a down migration?)"
            )
        if len(with_tables) > 1:
            raise FkauditError(
                f"{shown}: tables end up in several databases "
                f"({', '.join(with_tables)}); fkaudit audits one"
            )
        return with_tables[0]

    def connect(self, dbname: str) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            self.server.dsn(dbname, user=LOADER),
            autocommit=True,
            options=self.options,
            application_name="fkaudit-schema-file",
            client_encoding="UTF8",
        )

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
            conn = self.connect(DATABASE)
        except psycopg.Error as exc:
            return SqlError(script.path, 1, f"cannot connect to the throwaway server: {exc}")
        try:
            for step in script.steps:
                if isinstance(step, Connect):
                    conn.close()
                    try:
                        conn = self.connect(step.dbname)
                    except psycopg.Error as exc:
                        first = str(exc).strip().splitlines()[-1:] or ["failed"]
                        why = f"\\connect {step.dbname}: {first[0]}"
                        if exc.sqlstate == _INSUFFICIENT_PRIVILEGE:
                            why += f": {UNPRIVILEGED}"
                        return SqlError(script.path, step.line, why)
                    continue
                try:
                    self.run_step(conn, step)
                except psycopg.Error as exc:
                    if isinstance(step, Encoding):
                        return caught_error(exc, script.path, step.line, self.major)
                    return caught_error(
                        exc, script.path, error_line(exc, step, conn.info.encoding), self.major
                    )
        finally:
            conn.close()
        return None

    def run_step(self, conn: psycopg.Connection[tuple[Any, ...]], step: Step) -> None:
        """Run `step`, with the two things dumps need that an ordinary role is refused: a new
        owner's CREATE privilege (`_run_owner_change`), and switching system triggers."""
        try:
            _run_owner_change(conn, step)
        except psycopg.errors.InsufficientPrivilege as exc:
            if not self._switch_system_triggers(conn, step, exc):
                raise

    def _switch_system_triggers(
        self, conn: psycopg.Connection[tuple[Any, ...]], step: Step, refused: psycopg.Error
    ) -> bool:
        """`ALTER TABLE [ONLY] t DISABLE|ENABLE TRIGGER ALL` (pg_dump --disable-triggers, a bulk
        load, what FK402 reports) also switches the foreign keys' system triggers, which only a
        superuser may. The server refused the loader only after checking that it owns t; the
        superuser then switches t's triggers, t named by the OID the loader's session resolved:
        a statement fkaudit composes, running no code of the file's. True when done."""
        match = _TRIGGERS_ALL.fullmatch(step.text) if isinstance(step, Statement) else None
        if match is None or "is a system trigger" not in (refused.diag.message_primary or ""):
            return False
        try:
            name = match[2].decode(conn.info.encoding)
            row = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN "
                "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.oid OPERATOR(pg_catalog.=) %s::pg_catalog.regclass",
                [name],
            ).fetchone()
        except (UnicodeDecodeError, psycopg.Error):
            return False
        if row is None:
            return False
        with self._admin(conn.info.dbname) as admin:
            admin.execute(
                sql.SQL("ALTER TABLE {}{} {} TRIGGER ALL").format(
                    sql.SQL("ONLY " if match[1] else ""),
                    sql.Identifier(*row),
                    sql.SQL("ENABLE" if match[3].upper() == b"ENABLE" else "DISABLE"),
                )
            )
        return True

    @staticmethod
    def _run(conn: psycopg.Connection[tuple[Any, ...]], step: Step) -> None:
        if isinstance(step, Encoding):
            conn.execute(sql.SQL("SET client_encoding TO {}").format(sql.Literal(step.name)))
        elif isinstance(step, CopyIn):
            with conn.cursor() as cur, cur.copy(step.text) as copy:
                copy.write(step.data)
        elif isinstance(step, Statement):
            conn.execute(step.text)


# Extensions only a superuser may create that schemas commonly use, vetted to give an ordinary
# role nothing beyond SQL: no file access, no connections, no SECURITY DEFINER functions.
# pgstattuple (danbooru's structure.sql) reads relation pages, but its functions are revoked
# from PUBLIC and granted to pg_stat_scan_tables only, which the loader is not in.
_PRECREATED = frozenset({"pg_stat_statements", "pgstattuple", "vector"})
# PostgreSQL 13's trusted extensions (control files saying `trusted = true`): from 13 on the
# loader creates them itself; on 12, where nothing is trusted, the superuser does.
_TRUSTED_SINCE_13 = frozenset(
    {
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "dict_int",
        "fuzzystrmatch",
        "hstore",
        "intarray",
        "isn",
        "lo",
        "ltree",
        "pg_trgm",
        "pgcrypto",
        "seg",
        "tablefunc",
        "tcn",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
    }
)
_CREATE_EXTENSION = re.compile(
    rb'CREATE\s+EXTENSION\s+IF\s+NOT\s+EXISTS\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
    rb'(?:\s+WITH)?(?:\s+SCHEMA\s+(?:public|"public"))?(?:\s+CASCADE)?\s*;?\s*',
    re.IGNORECASE,
)


def _extensions_to_precreate(scripts: Sequence[Script], major: int) -> list[str]:
    """The extensions the superuser creates in `public` of the empty database before any file
    runs: those named by a plain `CREATE EXTENSION IF NOT EXISTS name [WITH SCHEMA public]`
    (how pg_dump, Rails, Django and Prisma write it), which is then a no-op, in `fkaudit`
    (before any `\\connect`), and vetted (`_PRECREATED`; on PostgreSQL 12 the extensions 13
    trusts too). The superuser runs only the server's own install script, composed by fkaudit,
    in a database no file has touched; any other CREATE EXTENSION is the loader's to run."""
    vetted = _PRECREATED | (_TRUSTED_SINCE_13 if major < 13 else frozenset())
    names: list[str] = []
    for script in scripts:
        for step in script.steps:
            if isinstance(step, Connect):
                break
            match = _CREATE_EXTENSION.fullmatch(step.text) if isinstance(step, Statement) else None
            if match is None:
                continue
            quoted = match[1].decode("latin-1")
            name = quoted[1:-1].replace('""', '"') if quoted.startswith('"') else quoted.lower()
            if name in vetted and name not in names:
                names.append(name)
    return names


_TRIGGERS_ALL = re.compile(
    rb"ALTER\s+TABLE\s+(ONLY\s+)?(.+?)\s+(ENABLE|DISABLE)\s+TRIGGER\s+ALL\s*;?\s*",
    re.IGNORECASE | re.DOTALL,
)
_OWNER_TO = re.compile(rb"ALTER\s.*\sOWNER\s+TO\s", re.IGNORECASE | re.DOTALL)
_NEEDS_CREATE = re.compile(r"permission denied for (schema|database) (.+)")


def _run_owner_change(conn: psycopg.Connection[tuple[Any, ...]], step: Step) -> None:
    """Run `step`; an `ALTER ... OWNER TO role` refused because the new owner may not create
    in the object's schema (or database) is run again once that is granted.

    A superuser skips that check, so dumps rely on it: pg_dump writes the ownership of each
    object right after it and the grants at the very end, and a superuser's function in a
    schema some other role owns is common. The loader grants CREATE there to PUBLIC itself
    (it owns, or holds the role owning, everything the files made): nothing beyond what the
    files could have done.
    """
    try:
        SchemaLoader._run(conn, step)
    except psycopg.errors.InsufficientPrivilege as exc:
        refused = _NEEDS_CREATE.fullmatch(exc.diag.message_primary or "")
        if not isinstance(step, Statement) or not _OWNER_TO.match(step.text) or not refused:
            raise
        kind = sql.SQL("SCHEMA" if refused[1] == "schema" else "DATABASE")
        try:
            conn.execute(
                sql.SQL("GRANT CREATE ON {} {} TO PUBLIC").format(kind, sql.Identifier(refused[2]))
            )
        except psycopg.Error:
            raise exc from None
        SchemaLoader._run(conn, step)


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
def loaded_database(
    files: Sequence[Path],
    bindir: Path | None,
    label: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> Iterator[str]:
    """A throwaway server with `files` applied: yields the DSN, stops the server after.

    The files are read and checked first: a refused one starts no server, nor does one that
    creates an extension no PostgreSQL build here has (`fkaudit.pgbuilds`). When the embedded
    build lacks one and another build has them all, `announce` is told which server loads them.
    """
    scripts = read_scripts(files)
    what = label or ", ".join(str(path) for path in files[:1])
    with started_loader(scripts, bindir, what, announce) as loader:
        yield loader.load(scripts)


@contextmanager
def started_loader(
    scripts: Sequence[Script],
    bindir: Path | None,
    what: str,
    announce: Callable[[str], None] | None = None,
) -> Iterator[SchemaLoader]:
    """A throwaway server of a build that has every extension `scripts` create, and a loader
    for it (nothing applied yet); the server is stopped after."""
    choice = choose_build(what, required_extensions(scripts), bindir)
    if choice.note and announce is not None:
        announce(choice.note)
    options = os.environ.get("PGOPTIONS", "")  # kept for the files' sessions, see SchemaLoader
    with (
        _libpq_environment_cleared(),
        ThrowawayServer(choice.bindir, superuser=SUPERUSER) as server,
    ):
        yield SchemaLoader(server, options)
