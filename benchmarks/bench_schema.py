"""The synthetic schema of `catalog_bench`: N foreign keys, shaped like real schemas.

Tables are spread over a few schemas, a few hub tables have many children, most tables have one
foreign key (some none, some two, a few two-column keys to composite keys), with mixed ON DELETE
actions and nullability, explicit and PostgreSQL-generated constraint names, and FK columns that
are unindexed, indexed, covered by a composite index, only by an INCLUDE column, by a partial
index (implied or not) or a hash index.

Each size gets a database of its own on the benchmark's server (`fkaudit_bench_<N>`), so that
10,000 and 100,000 keys can be measured side by side and kept between runs (`--reuse`). The DDL
is generated as SQL text from plain generated names and sent in multi-statement chunks, one
transaction per chunk (one transaction for all would exhaust the shared lock table).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Sequence

import psycopg
from psycopg import conninfo, sql

SCHEMAS = ("bench_core", "bench_sales", "bench_ops", "bench_audit")
HUBS = 50  # the first tables are hubs: many children point at them
COMPOSITE_EVERY = 10  # every 10th table also has UNIQUE (tenant_id, id)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table_name(i: int) -> tuple[str, str]:
    return SCHEMAS[i % len(SCHEMAS)], f"t{i:06d}"


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


def generate_tables(foreign_keys: int, seed: int = 42) -> Iterator[list[str]]:
    """Per table, its CREATE TABLE and CREATE INDEX statements, until `foreign_keys` keys."""
    rng = random.Random(seed)
    made = 0
    i = 0
    while made < foreign_keys:
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
        for _ in range(min(n_fks, foreign_keys - made)):
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
            made += 1
        body = ",\n  ".join(columns + constraints)
        yield [f"CREATE TABLE {qname} (\n  {body}\n)", *indexes]
        i += 1


def bench_database(server: str, foreign_keys: int) -> str:
    """The DSN of size `foreign_keys`'s own database on `server`'s server."""
    return conninfo.make_conninfo(server, dbname=f"fkaudit_bench_{foreign_keys}")


def load(server: str, foreign_keys: int, seed: int, chunk: int, reuse: bool) -> tuple[str, bool]:
    """(DSN, created) of the database holding `foreign_keys` keys, built unless it exists and
    `reuse` is set (an existing one without --reuse is refused: it may be half-built)."""
    dsn = bench_database(server, foreign_keys)
    name = f"fkaudit_bench_{foreign_keys}"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s", (name,))
        if exists.fetchone():
            if reuse:
                return dsn, False
            sys.exit(f"database {name} already exists: drop it or pass --reuse")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    progress(f"creating {foreign_keys:,} foreign keys in {name} ...")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("; ".join(f"CREATE SCHEMA {nsp}" for nsp in SCHEMAS))
        batch: list[str] = []
        tables = 0
        for tables, statements in enumerate(generate_tables(foreign_keys, seed), start=1):
            batch += statements
            if tables % chunk == 0:
                # Trusted text built above from generated names, no parameters: the string
                # goes out as one simple-protocol query, one transaction.
                conn.execute(";\n".join(batch))
                batch = []
            if tables % 10_000 == 0:
                progress(f"  {tables:,} tables")
        if batch:
            conn.execute(";\n".join(batch))
        progress(f"  {tables:,} tables; ANALYZE")
        conn.execute("ANALYZE")
    return dsn, True


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
