"""`--sizes-from DSN`: the live tables' sizes in FK701-FK703, and the report ranked by them.

The review replays on its throwaway server as always; a second database on the test server
(the `db` fixture) stands in for production, filled with rows and analyzed here. Expected
sizes are read from that database's own catalog by the test, never written down.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from psycopg import conninfo, sql

from fkaudit.changes.sizes import TableSize, ranked, size_text
from fkaudit.cli import main
from fkaudit.findings import Finding, Severity

BASE = """\
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
CREATE TABLE items (id int PRIMARY KEY, order_id int);
CREATE TABLE notes (id int PRIMARY KEY, customer_id int);
"""
# Three validated keys on tables that existed (FK701 each), an index built while writes wait
# (FK703 on items); orders and notes are left without an index (FK704: a new FK101).
KEYS = """\
ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE items ADD CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders;
ALTER TABLE notes ADD CONSTRAINT fk_notes_customer FOREIGN KEY (customer_id) REFERENCES customers;
CREATE INDEX items_order_id_idx ON items (order_id);
"""
PASSWORD = "s3cret-sizes-pw"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_base.sql").write_text(BASE, encoding="utf-8")
    (migrations / "002_keys.sql").write_text(KEYS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FKAUDIT_SIZES_FROM", raising=False)
    return migrations


def review(*extra: str, env: dict[str, str] | None = None) -> Result:
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    args = ["check", "--migrations", "migrations", "--new-since", "002_keys.sql", *extra]
    return CliRunner().invoke(main, args + (["--pg-bindir", bindir] if bindir else []), env=env)


def production(conn: psycopg.Connection[Any], *, items: int, orders: int) -> None:
    """The live database: the base's tables (no `notes`), with rows, vacuumed and analyzed."""
    conn.execute(
        "CREATE TABLE customers (id int PRIMARY KEY);"
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int);"
        "CREATE TABLE items (id int PRIMARY KEY, order_id int);"
        "INSERT INTO customers SELECT g FROM generate_series(1, 100) g;"
    )
    conn.execute(
        "INSERT INTO orders SELECT g, g %% 100 + 1 FROM generate_series(1, %s) g", (orders,)
    )
    conn.execute(
        "INSERT INTO items SELECT g, g %% %s + 1 FROM generate_series(1, %s) g", (orders, items)
    )
    conn.execute("VACUUM ANALYZE customers, orders, items")


def live_size(conn: psycopg.Connection[Any], table: str) -> tuple[int, int]:
    """(rows, bytes) as the live database's catalog has them."""
    row = conn.execute(
        "SELECT reltuples::int8, pg_relation_size(oid) FROM pg_class WHERE oid = %s::regclass",
        (table,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.fixture
def reader(db: str, conn: psycopg.Connection[Any]) -> Iterator[str]:
    """A DSN of the live database for a role that may only connect: no table privilege, no
    schema privilege. Sizes need nothing more."""
    role = f"fkaudit_sizes_{uuid.uuid4().hex[:12]}"
    name = conninfo.conninfo_to_dict(db)["dbname"]
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    conn.execute(
        sql.SQL(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT CONNECT ON DATABASE {} TO {}"
        ).format(sql.Identifier(str(name)), sql.Identifier(role))
    )
    dsn = conninfo.make_conninfo(db, user=role)
    try:
        psycopg.connect(dsn).close()
    except psycopg.OperationalError:
        conn.execute(sql.SQL("DROP OWNED BY {}; DROP ROLE {}").format(*[sql.Identifier(role)] * 2))
        pytest.skip("the test server lets no new role in without a password")
    yield dsn
    with psycopg.connect(db, autocommit=True) as admin:  # its sessions are closed by now
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_sizes_are_told_and_the_largest_table_comes_first(
    folder: Path, conn: psycopg.Connection[Any], reader: str
) -> None:
    production(conn, items=20_000, orders=2_000)
    done = review("--sizes-from", reader, "--format", "json", "--output", "report.json")
    assert done.exit_code == 1, done.output
    findings = json.loads(Path("report.json").read_text(encoding="utf-8"))["findings"]
    order = [(f["table"], f["code"]) for f in findings]
    # items (the largest blocked window) with all its findings, then orders, then notes,
    # which the live database does not have: in the usual order, last.
    assert order == [
        ("items", "FK701"),
        ("items", "FK703"),
        ("orders", "FK701"),
        ("orders", "FK704"),
        ("notes", "FK701"),
        ("notes", "FK704"),
    ]
    for finding in findings:
        if finding["code"] not in ("FK701", "FK703"):
            assert "rows" not in finding["details"] and "--sizes-from" not in finding["message"]
            continue
        if finding["table"] == "notes":
            assert "rows" not in finding["details"]
            assert finding["message"].endswith(
                "; --sizes-from: that database has no table public.notes"
            )
            continue
        rows, size = live_size(conn, finding["table"])
        assert rows > 0 and size > 0
        assert (finding["details"]["rows"], finding["details"]["bytes"]) == (rows, size)
        assert finding["message"].endswith(
            f"; --sizes-from: public.{finding['table']} holds about {rows:,} rows in "
            f"{size_text(size)}, all of it read while writes wait"
        )
    # The table on stdout: one block per table, in the same order.
    headings = [line for line in done.output.splitlines() if line.startswith("public.")]
    assert headings == ["public.items", "public.orders", "public.notes"]


def test_partitions_are_summed_and_unknown_rows_said(
    folder: Path, db: str, conn: psycopg.Connection[Any]
) -> None:
    """orders is partitioned there (its leaves summed); items was never analyzed. The DSN
    comes from $FKAUDIT_SIZES_FROM, as the GitHub action passes it."""
    conn.execute(
        "CREATE TABLE customers (id int PRIMARY KEY);"
        "CREATE TABLE orders (id int, customer_id int) PARTITION BY RANGE (id);"
        "CREATE TABLE orders_1 PARTITION OF orders FOR VALUES FROM (0) TO (1000);"
        "CREATE TABLE orders_2 PARTITION OF orders FOR VALUES FROM (1000) TO (MAXVALUE)"
        " PARTITION BY HASH (id);"
        "CREATE TABLE orders_2a PARTITION OF orders_2 FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
        "CREATE TABLE orders_2b PARTITION OF orders_2 FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
        "CREATE TABLE items (id int PRIMARY KEY, order_id int) WITH (autovacuum_enabled = off);"
        "INSERT INTO orders SELECT g, 1 FROM generate_series(1, 5000) g;"
        "INSERT INTO items SELECT g, 1 FROM generate_series(1, 3000) g;"
    )
    conn.execute("VACUUM ANALYZE orders_1, orders_2a, orders_2b")
    done = review("--format", "json", env={"FKAUDIT_SIZES_FROM": db})
    assert done.exit_code == 1, done.output
    findings = json.loads(done.output)["findings"]
    by_key = {(f["table"], f["code"]): f for f in findings}
    leaves = [live_size(conn, leaf) for leaf in ("orders_1", "orders_2a", "orders_2b")]
    orders = by_key[("orders", "FK701")]
    assert orders["details"]["rows"] == sum(rows for rows, _ in leaves) > 0
    assert orders["details"]["bytes"] == sum(size for _, size in leaves) > 0
    items = by_key[("items", "FK701")]
    _, items_bytes = live_size(conn, "items")
    assert items["details"] == {**items["details"], "rows": None, "bytes": items_bytes}
    assert "holds an unknown number of rows (never analyzed) in" in items["message"]
    # Ranked by bytes: items (3,000 rows) is smaller than orders' 5,000.
    assert [f["table"] for f in findings][:2] == ["orders", "orders"]


def test_a_lock_held_there_falls_back_to_relpages(
    folder: Path, db: str, conn: psycopg.Connection[Any]
) -> None:
    """A migration running on the live database holds ACCESS EXCLUSIVE on items:
    pg_relation_size would wait for it, so after --lock-timeout the sizes come from relpages,
    which takes no lock. fkaudit neither waits longer nor fails."""
    production(conn, items=5_000, orders=500)
    with psycopg.connect(db) as holder:
        holder.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        done = review("--sizes-from", db, "--lock-timeout", "1", "--format", "json")
        holder.rollback()
    assert done.exit_code == 1, done.output
    findings = json.loads(done.output)["findings"]
    row = conn.execute(
        "SELECT relname, reltuples::int8, relpages::int8 * current_setting('block_size')::int8"
        " FROM pg_class WHERE relname IN ('items', 'orders')"
    ).fetchall()
    for table, rows, size in row:
        (finding,) = [f for f in findings if f["table"] == table and f["code"] == "FK701"]
        assert (finding["details"]["rows"], finding["details"]["bytes"]) == (rows, size)
        assert (
            f"in {size_text(size)} by relpages, pg_relation_size having waited for a lock"
            in (finding["message"])
        )


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_is_one_line_exit_2(folder: Path) -> None:
    dsn = f"postgresql://app:{PASSWORD}@127.0.0.1:{unused_port()}/prod?connect_timeout=5"
    done = review("--sizes-from", dsn)
    assert done.exit_code == 2
    lines = done.output.splitlines()
    assert len(lines) == 1, done.output
    assert lines[0].startswith("fkaudit: error: --sizes-from: cannot connect to app@127.0.0.1:"), (
        lines[0]
    )
    assert PASSWORD not in done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--migrations", "migrations", "--sizes-from", "dbname=x"], "--sizes-from needs"),
        (
            ["--migrations", "migrations", "--new-since", "002_keys.sql", "--sizes-from", " "],
            "--sizes-from: empty connection string",
        ),
    ],
)
def test_usage_errors(folder: Path, args: list[str], message: str) -> None:
    done = CliRunner().invoke(main, ["check", *args])
    assert done.exit_code == 2 and message in done.output, done.output


def test_the_variable_is_ignored_by_a_plain_audit(folder: Path, db: str) -> None:
    """$FKAUDIT_SIZES_FROM set for the job does not break the audits that are not reviews."""
    done = CliRunner().invoke(
        main,
        ["check", db, "--format", "json"],
        env={"FKAUDIT_SIZES_FROM": "postgresql://nobody@127.0.0.1:1/none"},
    )
    assert done.exit_code == 0, done.output


def _finding(code: str, table: str, constraint: str = "k") -> Finding:
    return Finding(code, "x", Severity.WARNING, "s", table, constraint, (), "m")


def test_ranking_keeps_a_table_together_and_the_rest_in_order() -> None:
    findings = [
        _finding("FK701", "a"),
        _finding("FK704", "a"),
        _finding("FK705", "b"),
        _finding("FK703", "c", "k1"),
        _finding("FK701", "c", "k2"),
        _finding("FK701", "d"),
        _finding("FK702", "e"),
    ]
    sizes = {
        ("s", "a"): TableSize(10, 8192),
        ("s", "b"): TableSize(10**9, 10**12),  # big, but FK705 blocks nothing: not ranked
        ("s", "c"): TableSize(1000, 81920),
        ("s", "e"): TableSize(1000, 81920),  # as big as c: then by rows, then the usual order
    }
    assert [(f.table, f.code) for f in ranked(findings, sizes)] == [
        ("c", "FK703"),
        ("c", "FK701"),
        ("e", "FK702"),
        ("a", "FK701"),
        ("a", "FK704"),
        ("b", "FK705"),
        ("d", "FK701"),
    ]


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (8192, "8.0 kB"),
        (1536 * 1024, "1.5 MB"),
        (250 * 1024**3, "250 GB"),
        (3 * 1024**5, "3,072 TB"),
    ],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text
