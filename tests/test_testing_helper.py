"""`fkaudit.testing.assert_no_violations`, as an application's test suite would use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from fkaudit.testing import assert_no_violations

GOOD = """
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY,
                     customer_id int CONSTRAINT fk_orders_customer REFERENCES customers);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
"""


def test_passes_on_a_clean_schema(db: str, conn: psycopg.Connection[Any]) -> None:
    conn.execute(GOOD)
    report = assert_no_violations(db)
    assert report.foreign_keys_inspected == 1 and not report.findings


def test_fails_with_a_readable_report(db: str, conn: psycopg.Connection[Any]) -> None:
    conn.execute(GOOD + "DROP INDEX orders_customer_id_idx;")
    with pytest.raises(AssertionError) as failed:
        assert_no_violations(db)
    message = str(failed.value)
    assert message.startswith("fkaudit: 1 foreign-key problem(s) at or above warning:\n")
    assert "FK101" in message and "fk_orders_customer" in message
    # The fix under its finding, on lines of its own at 80 columns: read as the SQL it is.
    assert "fk_orders_customer no index on" in " ".join(message.split())
    assert "fix: CREATE INDEX CONCURRENTLY" in " ".join(message.split())


def test_levels_baselines_configuration_and_connections(
    db: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    conn.execute(GOOD + "DROP INDEX orders_customer_id_idx;")
    assert_no_violations(db, fail_on="error")  # the finding is a warning
    assert_no_violations(db, ignore=["FK101"])
    config = tmp_path / "fkaudit.toml"
    config.write_text('[rules.FK101]\nseverity = "info"\n', encoding="utf-8")
    assert_no_violations(db, config=config)
    from click.testing import CliRunner

    from fkaudit.cli import main

    baseline = tmp_path / "baseline.json"
    assert CliRunner().invoke(main, ["baseline", str(baseline), db]).exit_code == 0
    assert_no_violations(db, baseline=baseline)
    with psycopg.connect(db) as own:  # an application's open connection, left usable
        with pytest.raises(AssertionError):
            assert_no_violations(own)
        assert own.execute("SELECT 1").fetchone() == (1,)
