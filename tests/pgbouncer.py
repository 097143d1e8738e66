"""A real PgBouncer in transaction pooling mode, started in front of the suite's server.

Transaction pooling is where a session-level setting goes wrong: the server connection a client
used for one transaction is handed to another client for the next, with whatever `SET` the first
one left on it. So the pooler under test has a small pool (two server connections per database
and user), which makes every client share the same server connections.

The pooler listens on 127.0.0.1 on a free port and reaches the upstream server at the host and
port a real connection to it reports (a Unix socket directory for the throwaway servers, a TCP
host for `FKAUDIT_TEST_DSN`). Clients are trusted; the upstream password, if any, is the one
PgBouncer itself logs in with (its auth_file). PgBouncer, like PostgreSQL, refuses to run as root:
under root it runs as the `postgres` account (else `nobody`), as the throwaway servers do.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import conninfo

CANDIDATES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer")
POOL_SIZE = 2


def find_pgbouncer() -> str | None:
    """The pgbouncer binary: on PATH, else where the Debian package installs it."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return next((path for path in CANDIDATES if os.access(path, os.X_OK)), None)


def pgbouncer_version(binary: str) -> tuple[int, int]:
    """(major, minor) of `pgbouncer --version` ("PgBouncer 1.18.0"); (0, 0) when unreadable."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"PgBouncer (\d+)\.(\d+)", out.stdout + out.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _account() -> pwd.struct_passwd | None:
    """The account to run PgBouncer as; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' account exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _quoted(value: str, quote: str) -> str:
    """A value for pgbouncer.ini (`'`) or its auth_file (`"`): the quote character doubled."""
    return quote + value.replace(quote, quote * 2) + quote


class PgBouncer:
    """Context manager: PgBouncer (pool_mode=transaction) in front of `server_dsn`'s server."""

    def __init__(self, binary: str, server_dsn: str, *, pool_size: int = POOL_SIZE) -> None:
        self.binary = binary
        self.version = pgbouncer_version(binary)
        self.pool_size = pool_size
        with psycopg.connect(server_dsn) as upstream:  # the host and port it really reached
            info = upstream.info
            self.host, self.port_upstream = info.host, info.port
            self.user, self.password = info.user, info.password or ""
        self.account = _account()
        self.root: Path | None = None
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def dsn(self, dbname: str, **extra: Any) -> str:
        """A DSN reaching `dbname` through the pooler."""
        return conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, user=self.user, dbname=dbname, **extra
        )

    @property
    def log(self) -> str:
        assert self.root is not None
        path = self.root / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _write_config(self) -> Path:
        assert self.root is not None
        auth_file = self.root / "userlist.txt"
        user, password = _quoted(self.user, '"'), _quoted(self.password, '"')
        auth_file.write_text(f"{user} {password}\n")
        host = _quoted(self.host, "'")
        # 1.21+ can track protocol-level prepared statements, off by default until 1.24: keep
        # them off, as in every older PgBouncer, so a prepared statement fails as it would there.
        prepared = "max_prepared_statements = 0\n" if self.version >= (1, 21) else ""
        ini = self.root / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={host} port={self.port_upstream}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {auth_file}\n"
            "pool_mode = transaction\n"
            "server_reset_query_always = 0\n"  # the default: nothing reset between clients
            f"default_pool_size = {self.pool_size}\n"
            "min_pool_size = 0\n"
            "reserve_pool_size = 0\n"
            "max_client_conn = 200\n"
            f"logfile = {self.root / 'pgbouncer.log'}\n"
            f"pidfile = {self.root / 'pgbouncer.pid'}\n"
            f"{prepared}"
        )
        for path in (self.root, auth_file, ini):
            if self.account is not None:
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        auth_file.chmod(0o600)
        return ini

    def start(self) -> PgBouncer:
        self.root = Path(tempfile.mkdtemp(prefix="fkaudit-pgbouncer-"))
        atexit.register(self.stop)  # should the fixture's teardown never run
        try:
            for _ in range(3):  # the free port may be taken before PgBouncer binds it
                self.port = _free_port()
                if self._launch(self._write_config()):
                    return self
            raise RuntimeError(f"pgbouncer did not start: {self.log.strip()[-500:]}")
        except BaseException:
            self.stop()
            raise

    def _launch(self, ini: Path) -> bool:
        kwargs: dict[str, Any] = {}
        if self.account is not None:
            kwargs = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        self.process = subprocess.Popen(
            [self.binary, str(ini)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.root,
            **kwargs,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        self._terminate()
        return False

    def _terminate(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self._terminate()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            atexit.unregister(self.stop)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
