"""Cheaper throwaway servers for the tests: clusters in memory, initdb once per command line.

The suite's server and every `--schema-file` test start a `ThrowawayServer` in this process.
Two things made those slow, neither of which the tests are about:

- Where clusters live. Creating files on this project's disk costs about 0.2 ms each, and a
  cluster is a thousand files (initdb, CREATE DATABASE, every CREATE TABLE adds more): a
  schema-file test spent more time creating files than loading and auditing its schema. With
  a roomy tmpfs at /dev/shm, servers put their directory there (`tempfile.tempdir` while
  `start()` makes it in this process, $TMPDIR for the processes the tests start); where it is
  absent or small (a container's 64 MB), they use the usual temporary directory.
- initdb. It writes the same cluster for the same binaries, options, locale and environment,
  and took most of a server's start. Within `faster_throwaway_servers`, initdb runs for real
  the first time for each command line and environment; every later identical call gets a
  copy of that cluster with the owners and modes initdb gave its files (the server runs as
  its unprivileged account). A different binary directory, option, `PG*`/locale variable or
  account is a different command line and runs initdb again; a failed initdb is not reused.

Configuring, starting, using, stopping and removing the server is fkaudit's code, unchanged.
Processes the tests start (`python -m fkaudit ...`) run initdb as users' do; with a roomy
/dev/shm they get it as $TMPDIR, as a user may set it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from fkaudit.server import ThrowawayServer

#: Environment variables that can change what initdb writes (or whether it works).
_RELEVANT_ENV = ("PG", "LC_", "LANG", "TZ")
#: A tmpfs with less free space than this is not used (each cluster takes 40 MB and more).
_ENOUGH_MEMORY = 4 << 30


def memory_directory() -> str | None:
    """/dev/shm when it is a writable directory with room for the suite's clusters."""
    shm = "/dev/shm"
    if not os.path.isdir(shm) or not os.access(shm, os.W_OK | os.X_OK):
        return None
    stats = os.statvfs(shm)
    return shm if stats.f_bavail * stats.f_frsize >= _ENOUGH_MEMORY else None


@dataclass(frozen=True)
class _Cluster:
    copy: Path  # the cluster as initdb left it
    origin: Path  # where initdb wrote it (named in initdb's output)
    stdout: str
    stderr: str


def _command_key(server: ThrowawayServer, args: tuple[str | Path, ...]) -> tuple[object, ...]:
    """What initdb's result depends on: its command line without the data directory, the
    account it runs as, its library path and the environment variables it reads."""
    words = [str(arg) for arg in args]
    position = words.index("-D") + 1
    words[position] = "<data>"
    uid = server.account.pw_uid if server.account else None
    environment = sorted(
        (name, value) for name, value in os.environ.items() if name.startswith(_RELEVANT_ENV)
    )
    return (tuple(words), uid, server.library_path, tuple(environment))


def _copy_cluster(source: Path, target: Path) -> None:
    """Copy the cluster at `source` into the existing, empty directory `target`, with the
    owners and modes of its files. GNU cp leaves the 16 MB of zeros of a fresh WAL segment as
    a hole; the portable copy after it writes them."""
    copied = subprocess.run(
        ["cp", "-a", "--sparse=always", f"{source}/.", str(target)],
        capture_output=True,
        check=False,
    )
    if copied.returncode == 0:
        return
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    if os.geteuid() == 0:
        for path in [source, *source.rglob("*")]:
            stat = path.lstat()
            os.chown(
                target / path.relative_to(source), stat.st_uid, stat.st_gid, follow_symlinks=False
            )
    shutil.copymode(source, target)


@contextmanager
def faster_throwaway_servers(cache_dir: Path) -> Iterator[None]:
    """While active, servers started in this process are made in memory where possible, and
    identical initdb runs copy the first one's cluster (kept in `cache_dir`)."""
    original = ThrowawayServer._run
    original_start = ThrowawayServer.start
    directory = memory_directory()

    def start(server: ThrowawayServer) -> ThrowawayServer:
        if directory is None:
            return original_start(server)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(tempfile, "tempdir", directory)
            return original_start(server)

    clusters: dict[tuple[object, ...], _Cluster] = {}
    numbers = itertools.count(1)

    def run(
        server: ThrowawayServer, *args: str | Path, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        initdb = Path(str(args[0]))
        if initdb.name != "initdb" or "-D" not in args:
            return original(server, *args, timeout=timeout)
        if server.root is not None and initdb.is_relative_to(server.root):
            # A private copy of the binaries (the server account could not run the originals):
            # its path is this server's own, so no later command line could be the same.
            return original(server, *args, timeout=timeout)
        data_dir = Path(str(args[list(args).index("-D") + 1]))
        key = _command_key(server, args)
        cluster = clusters.get(key)
        if cluster is None:
            done = original(server, *args, timeout=timeout)
            if done.returncode == 0:
                copy = cache_dir / f"cluster-{next(numbers)}"
                copy.mkdir(parents=True)
                _copy_cluster(data_dir, copy)
                clusters[key] = _Cluster(copy, data_dir, done.stdout, done.stderr)
            return done
        _copy_cluster(cluster.copy, data_dir)
        return subprocess.CompletedProcess(
            [str(arg) for arg in args],
            0,
            cluster.stdout.replace(str(cluster.origin), str(data_dir)),
            cluster.stderr.replace(str(cluster.origin), str(data_dir)),
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ThrowawayServer, "_run", run)
        patch.setattr(ThrowawayServer, "start", start)
        if directory is not None:
            # Processes the tests start make their servers (and other temporary files) there
            # too. This process keeps its own temporary directory: pytest's tmp_path stays
            # where it was (a test builds names of the maximum length from its path).
            tempfile.gettempdir()
            patch.setenv("TMPDIR", directory)
        yield
