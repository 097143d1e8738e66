"""SIGTERM (a cancelled CI job, `timeout`, `docker stop`) ends a run as Ctrl-C does.

The queries running on the server are cancelled and the connections closed before fkaudit
exits with 143 (128 + SIGTERM), whether it was scanning for orphans or reading the catalog.
Without that, the process dies and its backends go on: a scan keeps reading the table, a
catalog read keeps waiting for its lock, and everything queued behind that lock waits too.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import Any

import psycopg
import pytest

from fkaudit.catalog import introspect as introspect_module
from fkaudit.catalog.introspect import introspect
from fkaudit.connection import connect

FKAUDIT_BACKENDS = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fkaudit'"
    " AND datname = current_database()"
)


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _start(db: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fkaudit", "check", db, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(conn: psycopg.Connection[Any], proc: subprocess.Popen[str], query: str) -> None:
    deadline = time.monotonic() + 30
    while _scalar(conn, query) < 1:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "fkaudit never got there"
        time.sleep(0.02)


def _terminate_and_check(conn: psycopg.Connection[Any], proc: subprocess.Popen[str]) -> None:
    """SIGTERM: exit 143 within a second, one line on stderr, no fkaudit backend left."""
    proc.send_signal(signal.SIGTERM)
    terminated = time.monotonic()
    _, stderr = proc.communicate(timeout=10)
    assert time.monotonic() - terminated < 1.0
    assert proc.returncode == 143, stderr
    assert stderr.strip() == "fkaudit: terminated", stderr
    deadline = time.monotonic() + 2  # a closed connection's backend exits right away
    while _scalar(conn, FKAUDIT_BACKENDS) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _scalar(conn, FKAUDIT_BACKENDS) == 0


def test_sigterm_cancels_the_running_orphan_scans(long_scans_db: str) -> None:
    proc = _start(long_scans_db, "--select", "FK501", "--jobs", "2")
    try:
        with psycopg.connect(long_scans_db, autocommit=True) as conn:
            _wait_for(conn, proc, FKAUDIT_BACKENDS + " AND state = 'active' HAVING count(*) = 2")
            _terminate_and_check(conn, proc)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigterm_cancels_a_catalog_read_waiting_for_a_lock(
    conn: psycopg.Connection[Any], db: str
) -> None:
    conn.execute("CREATE TABLE p (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE c (p_id int REFERENCES p)")
    # The catalog read joins pg_description (fkaudit:ignore comments); a session holding it
    # locked, as a migration's COMMENT ON could, makes the read wait up to --lock-timeout.
    with psycopg.connect(db) as locker:
        locker.execute("LOCK TABLE pg_catalog.pg_description IN ACCESS EXCLUSIVE MODE")
        proc = _start(db, "--lock-timeout", "600")
        try:
            _wait_for(conn, proc, FKAUDIT_BACKENDS + " AND wait_event_type = 'Lock'")
            _terminate_and_check(conn, proc)
        finally:
            if proc.poll() is None:
                proc.kill()


def test_a_session_ended_by_the_server_mid_transaction_gives_one_line(
    conn: psycopg.Connection[Any], db: str
) -> None:
    """The server ends fkaudit's session while it is idle inside its catalog transaction (as a
    recovery conflict on a hot standby or pg_terminate_backend does), then the run is stopped:
    psycopg's failed rollback ("error ignored in rollback", the server's message on 3 lines)
    must not be printed beside fkaudit's own one line.

    fkaudit is frozen with SIGSTOP while its backend is idle in transaction (600 tables make
    the Python work between catalog queries long enough to catch), so the client has not yet
    seen the session end when it resumes.
    """
    conn.execute("CREATE TABLE p (id int PRIMARY KEY)")
    with conn.pipeline():
        for i in range(600):
            conn.execute(f"CREATE TABLE c{i} (id int PRIMARY KEY, p int REFERENCES p)")
    idle = FKAUDIT_BACKENDS.replace("count(*)", "pid") + " AND state = 'idle in transaction'"
    for _ in range(20):
        proc = _start(db, "--orphans", "off")
        try:
            pid = _frozen_while(conn, proc, idle)
            if pid is None:
                continue  # the run ended before it was caught between two queries
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGCONT)
            _, stderr = proc.communicate(timeout=30)
            assert proc.returncode == 143, stderr
            assert stderr.strip() == "fkaudit: terminated", stderr
            return
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
    raise AssertionError("fkaudit was never caught idle inside its catalog transaction")


def test_a_catalog_read_interrupted_mid_result_frees_the_connection(
    conn: psycopg.Connection[Any], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM arriving while a streamed catalog result is half read: by the time the
    exception leaves `introspect`, the stream is closed and the connection's lock free, so the
    rollback on the way out can run. Left suspended, the stream held the lock and that rollback
    waited forever (the session-ended test above hung so on a loaded CI machine).

    The interruption is raised where the tables' rows become model objects, after one row.
    """
    conn.execute("CREATE TABLE p (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE c (id int PRIMARY KEY, p int REFERENCES p)")

    def interrupted(rows: Iterable[Any], *_: Any) -> None:
        next(iter(rows))
        raise KeyboardInterrupt

    monkeypatch.setattr(introspect_module, "_tables", interrupted)
    session = connect(db)
    try:
        with pytest.raises(KeyboardInterrupt) as interruption:
            introspect(session)
        # `interruption` keeps the traceback and its frames alive, as they are while the
        # exception unwinds through the caller's transaction and connection blocks.
        assert interruption.tb is not None
        assert session.lock.acquire(timeout=5), "the stream still holds the connection's lock"
        session.lock.release()
        session.rollback()
        assert session.execute("SELECT 1").fetchone() == (1,)
    finally:
        session.close()  # without the lock: a failed check must not hang here


def _frozen_while(
    conn: psycopg.Connection[Any], proc: subprocess.Popen[str], query: str
) -> int | None:
    """SIGSTOP `proc` once its backend matches `query` (checked again once frozen): the pid."""
    while proc.poll() is None:
        row = conn.execute(query).fetchone()
        if row is None:
            continue
        proc.send_signal(signal.SIGSTOP)
        still = conn.execute(query).fetchone()
        if still is not None and still[0] == row[0]:
            return int(row[0])
        proc.send_signal(signal.SIGCONT)
    return None
