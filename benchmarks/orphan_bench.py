"""Benchmark the orphan scan (FK501) against PostgreSQL's own check, docs/design.md §7 / issue 4.

On a child table of N rows (default 5,000,000) referencing a 1,000,000-row parent, with 0.1 %
orphans, it measures:

* the scan of that foreign key by `fkaudit.audit(select=["FK501"])` (in-process: connection,
  catalog read, count and samples), against `ALTER TABLE … VALIDATE CONSTRAINT` of a NOT VALID
  copy of the constraint on the same rows without the orphans (VALIDATE stops at the first
  orphan, so the clean copy is the server's own full check). Target: at most 1.2x.
* two such foreign keys scanned with `jobs=2`, against one. Target: clearly less than twice
  (at most 1.6x).
* the peak RSS of `fkaudit check --select FK501` on the 0.1 % table and on a table where half
  the rows are orphans. Target: flat (within 10 MB): the orphans stay on the server.

Without --dsn a throwaway server is started (embedded wheel or --pg-bindir). The tables go into
a database of their own, `fkaudit_orphan_bench` on that server (reused with --reuse), so that
the catalog read measured with the scan is that of a small schema, not of whatever else the
server holds. Exit code 0 when every target is met, 1 otherwise.

    python benchmarks/orphan_bench.py --dsn postgresql://postgres@127.0.0.1:54018/postgres
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
from bench_schema import progress
from measure import peak_rss_mb, server_dsn
from psycopg import conninfo

import fkaudit

SCHEMA = "orphan_bench"
TARGET_SCAN_RATIO = 1.2
TARGET_JOBS_RATIO = 1.6
TARGET_RSS_SPREAD_MB = 10.0


DATABASE = "fkaudit_orphan_bench"


def bench_database(server: str) -> str:
    """The DSN of the benchmark's own database on the server of `server`, created if missing."""
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            conn.execute(f"CREATE DATABASE {DATABASE}")
    return conninfo.make_conninfo(server, dbname=DATABASE)


def build(dsn: str, rows: int, parents: int, reuse: bool) -> None:
    """Parent, two children with 0.1 % orphans, their clean copy, and a half-orphan table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
        if exists and reuse:
            return
        if exists:
            sys.exit(f"schema {SCHEMA} exists; pass --reuse or drop it")
        keyed = f"1 + (g::bigint * 7919) % {parents}"  # spread over every parent
        progress(f"creating {rows:,}-row tables in {SCHEMA} ...")
        for statement in (
            f"CREATE SCHEMA {SCHEMA}",
            f"SET search_path = {SCHEMA}",
            "CREATE TABLE parent (id bigint PRIMARY KEY)",
            f"INSERT INTO parent SELECT g FROM generate_series(1, {parents}) g",
            "CREATE TABLE child_a (id bigint, parent_id bigint)",
            f"INSERT INTO child_a SELECT g, CASE WHEN g % 1000 = 0 THEN {parents} + g"
            f" ELSE {keyed} END FROM generate_series(1, {rows}) g",
            "CREATE TABLE child_b AS SELECT * FROM child_a",
            f"CREATE TABLE child_clean AS SELECT g AS id, {keyed} AS parent_id"
            f" FROM generate_series(1, {rows}) g",
            f"CREATE TABLE child_half AS SELECT g AS id, CASE WHEN g % 2 = 0 THEN {parents} + g"
            f" ELSE {keyed} END AS parent_id FROM generate_series(1, {rows // 5}) g",
            "ALTER TABLE child_a ADD CONSTRAINT child_a_fk FOREIGN KEY (parent_id)"
            " REFERENCES parent NOT VALID",
            "ALTER TABLE child_b ADD CONSTRAINT child_b_fk FOREIGN KEY (parent_id)"
            " REFERENCES parent NOT VALID",
            "ALTER TABLE child_half ADD CONSTRAINT child_half_fk FOREIGN KEY (parent_id)"
            " REFERENCES parent NOT VALID",
            "VACUUM ANALYZE",
        ):
            conn.execute(statement)


def timed(action: Callable[[], Any], repeat: int) -> list[float]:
    """One warm-up, then `repeat` timed runs."""
    action()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return runs


def validate_clean(dsn: str) -> None:
    """VALIDATE a freshly added NOT VALID copy of the constraint on the clean rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {SCHEMA}.child_clean DROP CONSTRAINT IF EXISTS clean_fk")
        conn.execute(
            f"ALTER TABLE {SCHEMA}.child_clean ADD CONSTRAINT clean_fk FOREIGN KEY (parent_id)"
            f" REFERENCES {SCHEMA}.parent NOT VALID"
        )
        started = time.perf_counter()
        conn.execute(f"ALTER TABLE {SCHEMA}.child_clean VALIDATE CONSTRAINT clean_fk")
        validate_clean.seconds = time.perf_counter() - started  # type: ignore[attr-defined]


def scan(dsn: str, tables: Sequence[str], jobs: int, expected: int) -> None:
    scope = fkaudit.Scope(schemas=(SCHEMA,), tables=tuple(tables))
    report = fkaudit.audit(dsn, select=["FK501"], scope=scope, jobs=jobs)
    counts = [f.details["orphan_count"] for f in report.findings]
    if report.errors or counts != [expected] * len(tables):
        sys.exit(f"unexpected scan result: {counts} {report.errors}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dsn")
    parser.add_argument("--pg-bindir", type=Path)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--parents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    orphans = args.rows // 1000
    with ExitStack() as stack:
        server, _, _ = server_dsn(args, stack)
        dsn = bench_database(server)
        build(dsn, args.rows, args.parents, args.reuse)
        progress("timing VALIDATE CONSTRAINT on the clean copy ...")
        validate = []
        for _ in range(args.repeat + 1):
            validate_clean(dsn)
            validate.append(validate_clean.seconds)  # type: ignore[attr-defined]
        validate = validate[1:]
        progress("timing the orphan scan of one foreign key ...")
        one = timed(lambda: scan(dsn, ["child_a"], 1, orphans), args.repeat)
        progress("timing two foreign keys with jobs=2 ...")
        two = timed(lambda: scan(dsn, ["child_a", "child_b"], 2, orphans), args.repeat)
        progress("measuring peak RSS ...")
        fkaudit_bin = str(Path(sys.executable).parent / "fkaudit")
        rss = {
            table: peak_rss_mb(
                [
                    fkaudit_bin,
                    "check",
                    dsn,
                    "--select",
                    "FK501",
                    "--schema",
                    SCHEMA,
                    "--table",
                    table,
                    "--format",
                    "json",
                ]
            )
            for table in ("child_a", "child_half")
        }

    medians = {
        "validate_s": statistics.median(validate),
        "scan_one_s": statistics.median(one),
        "scan_two_jobs2_s": statistics.median(two),
    }
    scan_ratio = medians["scan_one_s"] / medians["validate_s"]
    jobs_ratio = medians["scan_two_jobs2_s"] / medians["scan_one_s"]
    spread = abs(rss["child_half"] - rss["child_a"])
    targets = {
        f"scan <= {TARGET_SCAN_RATIO}x VALIDATE": scan_ratio <= TARGET_SCAN_RATIO,
        f"two FKs, jobs=2 <= {TARGET_JOBS_RATIO}x one": jobs_ratio <= TARGET_JOBS_RATIO,
        f"RSS flat within {TARGET_RSS_SPREAD_MB:g} MB": spread <= TARGET_RSS_SPREAD_MB,
    }
    figures = {
        "rows": args.rows,
        "orphans": orphans,
        "repeat": args.repeat,
        **{k: round(v, 3) for k, v in medians.items()},
        "scan_to_validate": round(scan_ratio, 2),
        "two_jobs_to_one": round(jobs_ratio, 2),
        "rss_mb": {k: round(v, 1) for k, v in rss.items()},
        "targets": targets,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"rows {args.rows:,}, orphans {orphans:,}, median of {args.repeat}")
    print(f"VALIDATE CONSTRAINT (clean copy): {medians['validate_s']:.2f} s")
    print(f"orphan scan, one FK:              {medians['scan_one_s']:.2f} s  ({scan_ratio:.2f}x)")
    print(
        f"orphan scan, two FKs, jobs=2:     {medians['scan_two_jobs2_s']:.2f} s "
        f"({jobs_ratio:.2f}x one)"
    )
    print(
        f"peak RSS: 0.1 % orphans {rss['child_a']:.0f} MB, 50 % orphans {rss['child_half']:.0f} MB"
    )
    for name, met in targets.items():
        print(f"{name}: {'met' if met else 'NOT MET'}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
