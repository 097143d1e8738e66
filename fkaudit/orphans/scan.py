"""Run the orphan queries: which foreign keys, on how many connections, and what can go wrong.

Each foreign key is scanned in its own read-only transaction (a savepoint inside a caller's),
bounded by statement and lock timeouts set in that transaction alone (`connection.transaction`),
so nothing outlives it on a pooled connection; a scan takes ACCESS SHARE locks only.
A scan that times out or is refused (privileges) is returned as a `ScanFailure` naming the
foreign key and the reason: the caller decides whether an incomplete run may pass.

With several jobs, each worker has its own connection and takes the next foreign key from a
queue ordered largest child first, so the longest scan starts first. Ctrl-C cancels every
running query on the server before the interrupt propagates.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.connection import transaction
from fkaudit.errors import one_line
from fkaudit.fixsql import grant_select
from fkaudit.orphans import MODES
from fkaudit.orphans.queries import count_and_sample_query, count_query

_NOT_FIRING = frozenset("DR")  # RI trigger states that do not fire in normal sessions


# --sample applies to referencing tables at least this large (estimated rows): below it a
# full scan is cheap, and a page sample of a few pages says little.
SAMPLE_MIN_ROWS = 100_000


@dataclass(frozen=True)
class OrphanCount:
    fk: ForeignKey
    count: int  # exact, or scaled up from a sample
    samples: tuple[tuple[str | None, ...], ...]
    sample_percent: float | None = None  # set when `count` is an estimate from a sample


@dataclass(frozen=True)
class ScanFailure:
    fk: ForeignKey
    reason: str


ScanResult = OrphanCount | ScanFailure


class ScanListener(Protocol):
    """Told when each scan starts and ends (from worker threads): a progress display."""

    def started(self, fk: ForeignKey) -> None: ...

    def finished(self, result: ScanResult) -> None: ...


Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


def is_suspect(fk: ForeignKey) -> bool:
    """Orphans can exist without anyone breaking a rule: NOT VALID, NOT ENFORCED, no triggers."""
    return (
        not fk.validated
        or not fk.enforced
        or any(t.enabled in _NOT_FIRING for t in fk.unusual_triggers)
    )


def keys_to_scan(catalog: Catalog, mode: str) -> list[ForeignKey]:
    """The foreign keys `mode` scans, largest referencing table first (then by name)."""
    if mode not in MODES:
        raise ValueError(f"unknown orphan mode {mode!r} (expected one of: {', '.join(MODES)})")
    if mode == "off":
        return []
    chosen = [fk for fk in catalog.inspected_foreign_keys if mode == "all" or is_suspect(fk)]
    return largest_first(catalog, chosen)


def largest_first(catalog: Catalog, fks: Iterable[ForeignKey]) -> list[ForeignKey]:
    """Largest referencing table first (the longest scan starts first), then by name."""
    return sorted(
        fks,
        key=lambda fk: (
            -(catalog.estimated_rows(fk.table_oid) or 0),
            catalog.table(fk.table_oid).qualified_name,
            fk.name,
        ),
    )


def scan_one(
    conn: psycopg.Connection[Any],
    catalog: Catalog,
    fk: ForeignKey,
    samples: int,
    sample_percent: float | None = None,
) -> ScanResult:
    """Count the orphans of `fk` and fetch up to `samples` of their keys, read-only.

    With `sample_percent`, a large referencing table is read through a repeatable page sample
    and the count scaled up: an estimate, labelled as one.
    """
    rows = catalog.estimated_rows(fk.table_oid) or 0
    percent = sample_percent if sample_percent is not None and rows >= SAMPLE_MIN_ROWS else None
    try:
        with transaction(conn) as owns_transaction:
            if owns_transaction:  # settings made here would outlive a caller's savepoint
                _scan_settings(conn)
            if samples:
                query = count_and_sample_query(catalog, fk, samples, percent)
                found = conn.execute(query).fetchall()
                count = int(found[0][0]) if found else 0
                keys = [tuple(row[1:]) for row in found]
            else:
                row = conn.execute(count_query(catalog, fk, percent)).fetchone()
                count, keys = (int(row[0]) if row else 0), []
    except psycopg.errors.QueryCanceled as exc:
        return ScanFailure(fk, f"the scan was cancelled (statement timeout): {one_line(exc)}")
    except psycopg.errors.LockNotAvailable as exc:
        return ScanFailure(fk, f"a lock was not granted within lock_timeout: {one_line(exc)}")
    except psycopg.errors.InsufficientPrivilege as exc:
        tables = [catalog.table(fk.table_oid), catalog.table(fk.ref_table_oid)]
        grant = grant_select(tables, conn.info.user)
        return ScanFailure(fk, f"{one_line(exc)}: {grant} (or --orphans off)")
    except psycopg.Error as exc:
        return ScanFailure(fk, f"{type(exc).__name__}: {one_line(exc)}")
    if percent is not None:
        count = round(count * 100 / percent)
    return OrphanCount(fk, count, tuple(keys), percent)


def _scan_settings(conn: psycopg.Connection[Any]) -> None:
    """Settings for this transaction only, as VALIDATE CONSTRAINT gives its own check.

    work_mem = maintenance_work_mem and hash_mem_multiplier = 1 (13+) let the anti-join hash
    the referenced keys in memory. No parallel workers: a scan is one backend, so `--jobs N`
    means exactly N busy backends on the server, a load the user chose (measured on 2 cores:
    two scans at once took 1.03x one, where parallel workers made it 1.95x).
    """
    conn.execute(
        "SELECT pg_catalog.set_config('work_mem',"
        " pg_catalog.current_setting('maintenance_work_mem'), true),"
        " pg_catalog.set_config('max_parallel_workers_per_gather', '0', true)"
    )
    if conn.info.server_version >= 130000:
        conn.execute("SELECT pg_catalog.set_config('hash_mem_multiplier', '1', true)")


def scan(
    connect: Connect,
    catalog: Catalog,
    fks: Sequence[ForeignKey],
    *,
    samples: int = 5,
    jobs: int = 1,
    listener: ScanListener | None = None,
    sample_percent: float | None = None,
) -> list[ScanResult]:
    """Scan `fks` on up to `jobs` connections; results in the order of `fks`."""
    work: queue.Queue[tuple[int, ForeignKey]] = queue.Queue()
    for item in enumerate(fks):
        work.put(item)
    results: dict[int, ScanResult] = {}
    active: list[psycopg.Connection[Any]] = []
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with connect() as conn:
                with lock:
                    active.append(conn)
                while not stop.is_set():
                    try:
                        index, fk = work.get_nowait()
                    except queue.Empty:
                        return
                    if listener is not None:
                        listener.started(fk)
                    result = scan_one(conn, catalog, fk, samples, sample_percent)
                    with lock:
                        results[index] = result
                    if listener is not None:
                        listener.finished(result)
        except BaseException as exc:  # e.g. no connection: the other workers go on
            failures.append(exc)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(jobs, len(fks)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.1)  # stays responsive to Ctrl-C
    except KeyboardInterrupt:
        stop.set()
        deadline = time.monotonic() + 0.8
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            _cancel(active, lock)  # again: a scan may have started after the last cancel
            time.sleep(0.05)
        raise
    if len(results) < len(fks) and failures:
        raise failures[0]  # keys left unscanned: every worker failed
    return [results[i] for i in range(len(fks))]


def _cancel(active: Iterable[psycopg.Connection[Any]], lock: threading.Lock) -> None:
    """Cancel the running queries, so no backend keeps scanning after an interrupt."""
    with lock:
        for conn in active:
            with suppress(psycopg.Error):
                conn.cancel_safe(timeout=0.5)
