"""Benchmark the migration review: applying new migrations statement by statement, observed,
against loading the same files whole (issue 15: at most 1.5x).

On a generated folder (`review_folder`: a 500-table base, then 200 migrations of the usual
kinds, plain SQL, reviewed in psql mode) and one throwaway server, each round measures in this
process, as `fkaudit check` runs them:

* whole: `SchemaLoader.load` of the base and the 200 migrations, what `check --migrations DIR`
  does before its audit;
* base: `SchemaLoader.load` of the base alone, the review's first step;
* apply: `replay()` of the 200 migrations on that base: one statement at a time, each inside a
  transaction whose locks, scans, keys and indexes are read after it;
* the two audits of the review (before and after the apply), timed apart from it.

Target (issue 15): the review's load and apply against the whole load, (base + apply) / whole
<= 1.5, in wall time. Also reported: the migrations alone, apply / (whole - base), the 200 files
statement by statement, observed, against the same 200 files whole; and every phase's CPU time,
here and on the server, which a busy machine stretches less than wall time. Then, as fresh
processes (a server started each time, as a user or a CI job runs them): `fkaudit check
--migrations DIR` and `fkaudit check --migrations DIR --new-since FIRST`, for reference.

The throwaway server is the embedded wheel's or --pg-bindir's (any major from 12); the folder is
written to a temporary directory, or to --folder (kept). Exit code: 0 when every target is met,
1 otherwise.

    python benchmarks/review_bench.py                               # embedded 18
    python benchmarks/review_bench.py --pg-bindir /usr/lib/postgresql/12/bin --json out.json
    python benchmarks/review_bench.py --migrations 50 --repeat 1    # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench_schema import progress
from measure import Timing, measure
from review_folder import BASE_FILE, write_folder

import fkaudit
from fkaudit.changes.observe import Change
from fkaudit.changes.replay import replay
from fkaudit.changes.review import introduced
from fkaudit.changes.transactions import FileTransaction, detect_tool, file_transaction
from fkaudit.engine import select_rules
from fkaudit.psqlscript import Script, Statement
from fkaudit.rules import ChangeRule
from fkaudit.schemafile import SchemaLoader, migration_files, read_scripts, started_loader

TARGET_RATIO = 1.5  # statement by statement, observed / whole
T = TypeVar("T")


PHASES = ("whole", "base", "apply", "audit_before", "audit_after")


@dataclass
class Cost:
    """One phase: its wall time, and the CPU it used here and on the server, in seconds."""

    wall: float
    client_cpu: float
    server_cpu: float

    @property
    def cpu(self) -> float:
        return self.client_cpu + self.server_cpu


class Clock:
    """Wall time, this process's CPU time, and the throwaway server's: the postmaster's own,
    that of its finished backends (Linux: /proc/PID/stat, cutime and cstime) and that of those
    still running (its children's utime and stime), so the one session the replay keeps open
    counts in the phase it works in. The CPU figures hold on a busy machine, where wall times
    stretch with the load; an autovacuum worker (busy after a load of hundreds of tables) counts
    in whichever phase it runs."""

    def __init__(self, data_dir: Path) -> None:
        self.pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        self.tick = os.sysconf("SC_CLK_TCK")

    def server(self) -> float:
        ticks = _cpu_ticks(self.pid, with_reaped=True)
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(FileNotFoundError):  # exited: in cutime, cstime next
                ticks += _cpu_ticks(int(child))
        return ticks / self.tick

    def timed(self, call: Callable[[], T]) -> tuple[Cost, T]:
        wall, cpu, server = time.perf_counter(), time.process_time(), self.server()
        result = call()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return Cost(wall, cpu, self.server() - server), result


def _cpu_ticks(pid: int, *, with_reaped: bool = False) -> int:
    """A process's CPU time in clock ticks (utime + stime), and with `with_reaped` that of its
    children it has waited for (cutime + cstime): /proc/PID/stat after the command name."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(field) for field in fields[11 : 15 if with_reaped else 13])


@dataclass
class Figures:
    """What was measured on one folder and server."""

    server_version_num: int
    migrations: int
    statements: int
    observed: int
    base_tables: int
    findings: dict[str, int]
    rounds: list[dict[str, Cost]]
    check_whole: Timing
    check_review: Timing

    def median(self, phase: str, what: str = "wall") -> float:
        return float(statistics.median(getattr(r[phase], what) for r in self.rounds))

    def ratio(self, what: str = "wall") -> float:
        """The review's load and apply / the whole load."""
        review = self.median("base", what) + self.median("apply", what)
        return review / self.median("whole", what)

    def marginal_ratio(self, what: str = "wall") -> float:
        """The migrations alone: applied observed / applied whole (whole load - base load)."""
        whole = self.median("whole", what) - self.median("base", what)
        return self.median("apply", what) / whole

    def targets(self) -> dict[str, bool]:
        return {
            f"(base + apply) / whole <= {TARGET_RATIO:g}x (wall)": self.ratio() <= TARGET_RATIO,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "server_version_num": self.server_version_num,
            "base_tables": self.base_tables,
            "migrations": self.migrations,
            "statements": self.statements,
            "statements_observed": self.observed,
            "review_findings": self.findings,
            "median_s": {
                what: {phase: round(self.median(phase, what), 4) for phase in PHASES}
                for what in ("wall", "cpu")
            },
            "rounds": [
                {phase: {k: round(v, 4) for k, v in asdict(r[phase]).items()} for phase in PHASES}
                for r in self.rounds
            ],
            "ratio_base_and_apply_to_whole": {
                what: round(self.ratio(what), 3) for what in ("wall", "cpu")
            },
            "ratio_apply_to_whole_minus_base": {
                what: round(self.marginal_ratio(what), 3) for what in ("wall", "cpu")
            },
            "commands": {
                t.label: {"median_s": round(t.median, 3), "min_s": round(t.best, 3)}
                for t in (self.check_whole, self.check_review)
            },
            "targets": self.targets(),
        }


def transactions_of(directory: Path, base: Sequence[Path], new: Sequence[Script]) -> list[Any]:
    """How each new migration runs, decided as `review()` decides it."""
    texts = [script.path.read_text(encoding="utf-8") for script in new]
    tool = detect_tool(directory, [*base, *(script.path for script in new)], texts)
    return [
        file_transaction(
            tool,
            script.path,
            text,
            [step.text for step in script.steps if isinstance(step, Statement)],
        )
        for script, text in zip(new, texts, strict=True)
    ]


def one_round(
    loader: SchemaLoader,
    clock: Clock,
    base: Sequence[Script],
    new: Sequence[Script],
    transactions: Sequence[FileTransaction],
) -> tuple[dict[str, Cost], Change]:
    """Load everything whole; then what the review does, each phase on its own clock."""
    whole, _ = clock.timed(lambda: loader.load([*base, *new]))
    base_cost, dsn = clock.timed(lambda: loader.load(base, require_tables=False))
    audit_before, before = clock.timed(lambda: fkaudit.audit(dsn))
    apply, replayed = clock.timed(lambda: replay(loader, new, transactions))
    audit_after, after = clock.timed(lambda: fkaudit.audit(dsn))
    costs = dict(zip(PHASES, (whole, base_cost, apply, audit_before, audit_after), strict=True))
    return costs, Change(replayed, before, after)


def review_findings(change: Change) -> dict[str, int]:
    """The findings `check --new-since` reports for the change, by rule."""
    rules = select_rules((), ())
    located = [
        found for rule in rules if isinstance(rule, ChangeRule) for found in rule.review(change)
    ]
    report = introduced(change, located, [rule.code for rule in rules])
    return dict(sorted(Counter(f.code for f in report.findings).items()))


def measure_folder(args: argparse.Namespace, directory: Path) -> Figures:
    files = migration_files(directory)
    base_files, new_files = files[:1], files[1:]
    base, new = read_scripts(base_files), read_scripts(new_files)
    transactions = transactions_of(directory, base_files, new)
    statements = sum(isinstance(step, Statement) for script in new for step in script.steps)
    rounds: list[dict[str, Cost]] = []
    with started_loader([*base, *new], args.pg_bindir, str(directory)) as loader:
        clock = Clock(loader.server.data_dir)
        for n in range(args.repeat + 1):  # the first round warms up, and is not counted
            progress(f"round {n}{' (warm-up)' if n == 0 else ''} ...")
            costs, change = one_round(loader, clock, base, new, transactions)
            if n:
                rounds.append(costs)
            progress(
                "  "
                + ", ".join(
                    f"{phase} {c.wall:.2f} s ({c.cpu:.2f} s CPU)" for phase, c in costs.items()
                )
            )
        with loader.connect(loader.database) as conn:
            version = conn.info.server_version
    findings = review_findings(change)
    fkaudit_cmd = str(Path(sys.executable).parent / "fkaudit")
    bindir = ["--pg-bindir", str(args.pg_bindir)] if args.pg_bindir else []
    whole_argv = [fkaudit_cmd, "check", "--migrations", str(directory), *bindir, "--format", "json"]
    check_whole = measure("check --migrations DIR", whole_argv, args.repeat, ok=(0, 1))
    check_review = measure(
        "check --migrations DIR --new-since FIRST",
        [*whole_argv, "--new-since", new_files[0].name],
        args.repeat,
        ok=(0, 1),
    )
    return Figures(
        version,
        len(new_files),
        statements,
        len(change.replay.statements),
        len(change.replay.pre),
        findings,
        rounds,
        check_whole,
        check_review,
    )


def markdown(figures: Figures, repeat: int) -> str:
    f = figures
    lines = [
        f"PostgreSQL {f.server_version_num}: base of {f.base_tables} tables ({BASE_FILE}), "
        f"{f.migrations} new migrations holding {f.statements} statements "
        f"({f.observed} observed); median of {repeat} rounds",
        "",
        "| phase (in process) | median s | min s | median CPU s (here + server) |",
        "|---|---:|---:|---:|",
    ]
    labels = {
        "whole": "load base + migrations whole (`check --migrations`)",
        "base": "review: load the base",
        "apply": "review: apply the migrations statement by statement, observed",
        "audit_before": "review: audit before",
        "audit_after": "review: audit after",
    }
    for phase, label in labels.items():
        best = min(r[phase].wall for r in f.rounds)
        lines.append(
            f"| {label} | {f.median(phase):.3f} | {best:.3f} | {f.median(phase, 'cpu'):.3f} |"
        )
    lines += [
        "",
        f"(base + apply) / whole: {f.ratio():.2f}x wall, {f.ratio('cpu'):.2f}x CPU; "
        f"the migrations alone, apply / (whole - base): {f.marginal_ratio():.2f}x wall, "
        f"{f.marginal_ratio('cpu'):.2f}x CPU",
        "",
        "| command (fresh process, own server) | median s | min s |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {t.label} | {t.median:.2f} | {t.best:.2f} |" for t in (f.check_whole, f.check_review)
    ]
    lines += [
        "",
        "review findings: " + ", ".join(f"{code} {n}" for code, n in f.findings.items()),
        "",
        "| target | met |",
        "|---|---|",
    ]
    lines += [f"| {name} | {'yes' if met else '**NO**'} |" for name, met in f.targets().items()]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--pg-bindir", type=Path, help="PostgreSQL bin directory for the server")
    parser.add_argument("--migrations", type=int, default=200, help="new migrations (200)")
    parser.add_argument("--tables", type=int, default=500, help="tables of the base (500)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds and runs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--folder", type=Path, help="write the folder here (kept), not to /tmp")
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="also write the figures as JSON"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Bytecode compiled first, so that every timed process starts like an installed one.
    package = Path(fkaudit.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    with ExitStack() as stack:
        directory = args.folder
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fkaudit-")))
        elif directory.exists() and any(directory.iterdir()):
            sys.exit(f"--folder {directory}: not empty")
        write_folder(directory, args.migrations, args.tables, args.seed)
        progress(f"wrote {args.migrations} migrations after {BASE_FILE} to {directory}")
        figures = measure_folder(args, directory)
    print(markdown(figures, args.repeat))
    if args.json:
        text = json.dumps({**figures.to_dict(), "repeat": args.repeat}, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0 if all(figures.targets().values()) else 1


if __name__ == "__main__":
    sys.exit(main())
