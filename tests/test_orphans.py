"""FK501 against real data: orphans injected the three ways PostgreSQL allows, counted exactly.

Orphans are created by a NOT VALID constraint over bad rows, by inserting while the table's
triggers are disabled, and by inserting under `session_replication_role = replica`; each test
asserts the exact count and the sample keys, for single and multi-column keys, MATCH SIMPLE and
FULL with NULLs, partitioned tables, cross-type keys, self-references and quoted names.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import conninfo

import fkaudit
from fkaudit.cli import main
from fkaudit.connection import SessionLimits
from fkaudit.findings import Finding


def orphans(db: str, mode: str = "suspect", **kwargs: Any) -> dict[str, Finding]:
    report = fkaudit.audit(db, select=["FK501"], orphans=mode, **kwargs)
    assert not report.errors, report.errors
    return {str(f.constraint): f for f in report.findings}


def samples(finding: Finding) -> set[tuple[str | None, ...]]:
    return {tuple(s.values()) for s in finding.details["samples"]}


def setup(conn: psycopg.Connection[Any], *statements: str) -> None:
    for statement in statements:
        conn.execute(statement)


def test_not_valid_constraint_over_bad_rows(conn: psycopg.Connection[Any], db: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "INSERT INTO p VALUES (1), (2), (3)",
        "CREATE TABLE c (p_id int)",
        "INSERT INTO c VALUES (1), (2), (99), (98), (98), (NULL)",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
    )
    found = orphans(db)
    assert found["c_p"].details["orphan_count"] == 3
    assert samples(found["c_p"]) == {("99",), ("98",)}
    assert found["c_p"].severity is fkaudit.Severity.ERROR


def test_disabled_triggers_then_insert(conn: psycopg.Connection[Any], db: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "INSERT INTO p VALUES (1)",
        "CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p)",
        "ALTER TABLE c DISABLE TRIGGER ALL",
        "INSERT INTO c VALUES (1), (7)",
    )
    assert orphans(db)["c_p"].details["orphan_count"] == 1
    assert orphans(db, "off") == {}


def test_replication_role_replica_hides_orphans_from_suspect(
    conn: psycopg.Connection[Any], db: str
) -> None:
    setup(
        conn,
        "CREATE TABLE p (id bigint PRIMARY KEY)",
        "INSERT INTO p VALUES (1)",
        "CREATE TABLE c (p_id int CONSTRAINT c_p REFERENCES p)",  # int referencing bigint
        "SET session_replication_role = replica",
        "INSERT INTO c VALUES (1), (5), (6)",
        "RESET session_replication_role",
    )
    assert orphans(db) == {}  # validated and enforced: not suspect
    found = orphans(db, "all")
    assert found["c_p"].details["orphan_count"] == 2
    assert samples(found["c_p"]) == {("5",), ("6",)}


def test_multi_column_match_simple_and_full(conn: psycopg.Connection[Any], db: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (a int, b int, PRIMARY KEY (a, b))",
        "INSERT INTO p VALUES (1, 1)",
        "CREATE TABLE s (a int, b int)",
        "CREATE TABLE f (a int, b int)",
        "INSERT INTO s VALUES (1, 1), (1, NULL), (NULL, NULL), (9, 9), (1, 2)",
        "INSERT INTO f SELECT * FROM s",
        "ALTER TABLE s ADD CONSTRAINT s_ab FOREIGN KEY (a, b) REFERENCES p NOT VALID",
        "ALTER TABLE f ADD CONSTRAINT f_ab FOREIGN KEY (a, b) REFERENCES p MATCH FULL NOT VALID",
    )
    found = orphans(db)
    assert samples(found["s_ab"]) == {("9", "9"), ("1", "2")}  # half-NULL rows are skipped
    assert found["s_ab"].details["orphan_count"] == 2
    assert samples(found["f_ab"]) == {("9", "9"), ("1", "2"), ("1", None)}  # not all-NULL
    assert found["f_ab"].details["orphan_count"] == 3


def test_partitioned_child_and_parent_self_reference_and_quoted_names(
    conn: psycopg.Connection[Any], db: str
) -> None:
    setup(
        conn,
        'CREATE TABLE "Kunde ü" ("Nr" int, region text, PRIMARY KEY ("Nr", region))'
        " PARTITION BY LIST (region)",
        """CREATE TABLE "Kunde ü eu" PARTITION OF "Kunde ü" FOR VALUES IN ('eu')""",
        """INSERT INTO "Kunde ü" VALUES (1, 'eu')""",
        'CREATE TABLE "Auftrag" ("kunde nr" int, region text, day date) PARTITION BY RANGE (day)',
        """CREATE TABLE "Auftrag 1" PARTITION OF "Auftrag"
           FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')""",
        """CREATE TABLE "Auftrag 2" PARTITION OF "Auftrag"
           FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')""",
        'ALTER TABLE "Auftrag" ADD CONSTRAINT "Auftrag → Kunde" FOREIGN KEY ("kunde nr", region)'
        ' REFERENCES "Kunde ü"',
        'ALTER TABLE "Auftrag 2" DISABLE TRIGGER ALL',
        """INSERT INTO "Auftrag" VALUES (1, 'eu', '2026-01-05'), (2, 'eu', '2026-02-05')""",
        "CREATE TABLE node (id int PRIMARY KEY, parent_id int)",
        "INSERT INTO node VALUES (1, NULL), (2, 1), (3, 42)",
        "ALTER TABLE node ADD CONSTRAINT node_parent FOREIGN KEY (parent_id)"
        " REFERENCES node NOT VALID",
    )
    found = orphans(db)
    assert samples(found["Auftrag → Kunde"]) == {("2", "eu")}
    assert samples(found["node_parent"]) == {("42",)}


def test_json_fields_listing_query_and_remedies(conn: psycopg.Connection[Any], db: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int)",
        "INSERT INTO c SELECT g FROM generate_series(1, 20) g",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
    )
    result = CliRunner().invoke(main, ["check", db, "--format", "json", "--samples", "3"])
    assert result.exit_code == 1, result.output
    (finding,) = [f for f in json.loads(result.output)["findings"] if f["code"] == "FK501"]
    assert finding["orphan_count"] == 20 and len(finding["samples"]) == 3
    assert len(conn.execute(finding["query"]).fetchall()) == 20
    conn.execute(finding["suggestion"])  # delete the orphans, then set the rest NULL
    assert orphans(db) == {}


def test_jobs_give_the_same_results(conn: psycopg.Connection[Any], db: str) -> None:
    setup(conn, "CREATE TABLE p (id int PRIMARY KEY)")
    for n in range(4):
        setup(
            conn,
            f"CREATE TABLE c{n} (p_id int)",
            f"INSERT INTO c{n} SELECT g FROM generate_series(1, {n + 1}) g",
            f"ALTER TABLE c{n} ADD CONSTRAINT c{n}_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
        )
    one = {k: f.details["orphan_count"] for k, f in orphans(db, jobs=1).items()}
    three = {k: f.details["orphan_count"] for k, f in orphans(db, jobs=3).items()}
    assert one == three == {"c0_p": 1, "c1_p": 2, "c2_p": 3, "c3_p": 4}


def test_a_table_the_role_cannot_read_makes_the_run_incomplete(
    conn: psycopg.Connection[Any], db: str
) -> None:
    conn.execute("DROP ROLE IF EXISTS fkaudit_scanner")
    conn.execute("CREATE ROLE fkaudit_scanner LOGIN PASSWORD 'scanner-pw'")
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int)",
        "INSERT INTO c VALUES (1)",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
        "GRANT SELECT ON p TO fkaudit_scanner",
    )
    dbname = conninfo.conninfo_to_dict(db)["dbname"]
    conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO fkaudit_scanner')
    try:
        scanner = conninfo.make_conninfo(db, user="fkaudit_scanner", password="scanner-pw")
        result = CliRunner().invoke(main, ["check", scanner, "--select", "FK501"])
        assert result.exit_code == 2
        assert "orphan scan of c_p on public.c did not complete: permission denied" in (
            result.output
        )
        assert (
            'GRANT SELECT ON "public"."c", "public"."p" TO "fkaudit_scanner"; (or --orphans '
            "off)" in result.output
        )
        assert "scanner-pw" not in result.output
        result = CliRunner().invoke(
            main, ["check", scanner, "--select", "FK501", "--allow-incomplete"]
        )
        assert result.exit_code == 0
        assert "fkaudit: warning: orphan scan of c_p" in result.output
    finally:
        conn.execute("DROP OWNED BY fkaudit_scanner")
        conn.execute("DROP ROLE fkaudit_scanner")


@pytest.mark.parametrize(
    "limits, reason",
    [
        (SessionLimits(statement_timeout_ms=300, lock_timeout_ms=10_000), "statement timeout"),
        (SessionLimits(statement_timeout_ms=10_000, lock_timeout_ms=300), "lock_timeout"),
    ],
)
def test_a_scan_over_its_time_limits_is_reported(
    conn: psycopg.Connection[Any], db: str, limits: SessionLimits, reason: str
) -> None:
    """Another session holds the child locked: the scan gives up within its limits."""
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int)",
        "INSERT INTO c VALUES (1)",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
    )
    with psycopg.connect(db) as blocker:
        blocker.execute("LOCK TABLE c IN ACCESS EXCLUSIVE MODE")
        report = fkaudit.audit(db, select=["FK501"], limits=limits)
    assert [e.code for e in report.errors] == ["FK501"]
    assert reason in report.errors[0].message
    assert report.exit_code() == 2
    assert orphans(db)["c_p"].details["orphan_count"] == 1  # unblocked: it completes


@pytest.mark.parametrize("mode", ["suspect", "all"])
def test_a_clean_database_has_no_orphans(conn: psycopg.Connection[Any], db: str, mode: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "INSERT INTO p VALUES (1)",
        "CREATE TABLE c (p_id int REFERENCES p)",
        "INSERT INTO c VALUES (1), (NULL)",
    )
    assert orphans(db, mode) == {}


def test_ctrl_c_cancels_the_running_scans(long_scans_db: str) -> None:
    """SIGINT during a scan: exit 130 within a second, and no fkaudit backend still running."""
    active = (
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fkaudit'"
        " AND state = 'active' AND datname = current_database()"
    )
    command = ["check", long_scans_db, "--select", "FK501", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fkaudit", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with psycopg.connect(long_scans_db, autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while _scalar(conn, active) < 2:  # both scans running on the server
                assert proc.poll() is None and time.monotonic() < deadline, "scans never started"
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            interrupted = time.monotonic()
            proc.wait(timeout=5)
            assert time.monotonic() - interrupted < 1.0
            assert proc.returncode == 130, proc.stderr.read() if proc.stderr else ""
            assert _scalar(conn, active) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def test_progress_is_drawn_for_a_terminal_and_erased(
    conn: psycopg.Connection[Any], db: str
) -> None:
    """The display the CLI shows on a terminal: counts, table names, then a clean line."""
    import io

    from fkaudit.orphans.progress import ScanProgress

    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int)",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
    )
    stream = io.StringIO()
    shown: list[ScanProgress] = []

    def progress(catalog: Any, fks: list[Any]) -> ScanProgress:
        shown.append(ScanProgress(catalog, fks, stream))
        return shown[-1]

    fkaudit.audit(db, select=["FK501"], progress=progress)
    shown[0].close()
    text = stream.getvalue()
    assert "orphan scans: 0/1 foreign keys" in text and "scanning public.c: c_p" in text
    assert "orphan scans: 1/1 foreign keys" in text
    assert text.endswith("\r\x1b[K")  # erased


def test_no_progress_when_stderr_is_not_a_terminal(conn: psycopg.Connection[Any], db: str) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int)",
        "ALTER TABLE c ADD CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
    )
    result = subprocess.run(
        [sys.executable, "-m", "fkaudit", "check", db, "--select", "FK501"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""


def test_a_sample_estimates_large_tables_and_counts_small_ones(
    conn: psycopg.Connection[Any], db: str
) -> None:
    setup(
        conn,
        "CREATE TABLE p (id int PRIMARY KEY)",
        "INSERT INTO p SELECT generate_series(1, 1000)",
        "CREATE TABLE big (p_id int)",  # 10 % orphans, spread over every page
        "INSERT INTO big SELECT CASE WHEN g % 10 = 0 THEN -g ELSE 1 + g % 1000 END"
        " FROM generate_series(1, 200000) g",
        "CREATE TABLE small (p_id int)",
        "INSERT INTO small VALUES (1), (-1)",
        "ALTER TABLE big ADD CONSTRAINT big_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
        "ALTER TABLE small ADD CONSTRAINT small_p FOREIGN KEY (p_id) REFERENCES p NOT VALID",
        "ANALYZE",
    )
    found = orphans(db, sample_percent=20)
    big, small = found["big_p"], found["small_p"]
    assert big.details["estimated"] and big.details["sample_percent"] == 20
    assert 15_000 <= big.details["orphan_count"] <= 25_000  # 20,000 exactly
    assert "estimated from a 20 % sample" in big.message
    assert not small.details["estimated"] and small.details["orphan_count"] == 1
    assert orphans(db)["big_p"].details["orphan_count"] == 20_000


def test_implied_references_carry_their_orphan_counts(
    conn: psycopg.Connection[Any], db: str
) -> None:
    setup(
        conn,
        "CREATE TABLE customers (id bigint PRIMARY KEY)",
        "INSERT INTO customers VALUES (1)",
        "CREATE TABLE orders (customer_id bigint)",
        "INSERT INTO orders VALUES (1), (2), (3), (NULL)",
    )
    (found,) = fkaudit.audit(db, select=["FK502"]).findings
    assert found.details["orphan_count"] == 2 and "2 row(s) reference no row" in found.message
    (unscanned,) = fkaudit.audit(db, select=["FK502"], orphans="off").findings
    assert unscanned.details["orphan_count"] is None
    assert fkaudit.audit(db).findings == ()  # opt-in: the default run does not look


def test_a_text_child_of_a_char_key_is_compared_as_the_trigger_does(
    conn: psycopg.Connection[Any], db: str
) -> None:
    """varchar -> char(3): the child is cast to bpchar, not to `character` (char(1))."""
    setup(
        conn,
        "CREATE TABLE country (code char(3) PRIMARY KEY)",
        "INSERT INTO country VALUES ('ab'), ('xyz')",
        "CREATE TABLE city (country varchar(10))",
        "INSERT INTO city VALUES ('ab'), ('xyz'), ('xqq'), ('a')",
        "ALTER TABLE city ADD CONSTRAINT city_country FOREIGN KEY (country)"
        " REFERENCES country NOT VALID",
    )
    found = orphans(db)["city_country"]
    assert samples(found) == {("xqq",), ("a",)}
    with pytest.raises(psycopg.errors.ForeignKeyViolation):  # VALIDATE agrees: orphans exist
        conn.execute("ALTER TABLE city VALIDATE CONSTRAINT city_country")
    conn.execute("DELETE FROM city WHERE country IN ('xqq', 'a')")
    conn.execute("ALTER TABLE city VALIDATE CONSTRAINT city_country")


def test_an_implied_reference_whose_scan_fails_is_still_reported(
    conn: psycopg.Connection[Any], db: str
) -> None:
    setup(
        conn,
        "CREATE TABLE customers (id bigint PRIMARY KEY)",
        "CREATE TABLE orders (customer_id bigint)",
    )
    with psycopg.connect(db) as blocker:
        blocker.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        report = fkaudit.audit(
            db,
            select=["FK502"],
            allow_incomplete=True,
            limits=SessionLimits(lock_timeout_ms=200),
        )
    assert [f.code for f in report.findings] == ["FK502"]
    assert report.findings[0].details["orphan_count"] is None
    assert [e.code for e in report.incomplete] == ["FK502"]
