"""The throwaway server always cleans up; `fkaudit demo` exercises every rule."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from fkaudit.cli import main
from fkaudit.errors import FkauditError
from fkaudit.rules import ChangeRule, all_rules
from fkaudit.server import ThrowawayServer

BINDIR = os.environ.get("FKAUDIT_TEST_PG_BINDIR") or None


def _postmaster_alive(root: Path) -> bool:
    """Is any process still running with a data directory under `root`?"""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(root).encode() in cmdline and b"postgres" in cmdline:
            return True
    return False


def test_server_is_stopped_and_removed_after_an_error() -> None:
    server = ThrowawayServer(BINDIR)
    root: Path | None = None
    with pytest.raises(RuntimeError), server:
        root = server.root
        with psycopg.connect(server.dsn()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        raise RuntimeError("the caller failed")
    assert root is not None
    assert not root.exists()
    assert not _postmaster_alive(root)


def test_missing_binaries_are_a_clean_error(tmp_path: Path) -> None:
    server = ThrowawayServer(tmp_path)
    with pytest.raises(FkauditError, match="no PostgreSQL server binaries"):
        server.start()
    assert server.root is None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_cleans_up_when_interrupted(sig: signal.Signals) -> None:
    """Interrupt `fkaudit demo` while its server runs: server and directory are gone."""
    # A temporary directory of its own, so that only this demo's server root can appear in it
    # (other suites on the machine start throwaway servers too); traversable by the server's
    # account, as /tmp is, for when the tests run as root.
    tmpdir = Path(tempfile.mkdtemp(prefix="fkaudit-demo-test-"))
    tmpdir.chmod(0o711)
    try:
        args = [sys.executable, "-m", "fkaudit", "demo"]
        if BINDIR:
            args += ["--pg-bindir", BINDIR]
        env = {**os.environ, "TMPDIR": str(tmpdir)}
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        # Signal once the server is up and the demo has moved on to loading and auditing.
        first_line = proc.stderr.readline()
        assert b"Started a throwaway PostgreSQL" in first_line, first_line
        roots = set(tmpdir.glob("fkaudit-pg-*"))
        assert roots, "the demo server never started"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode in (128 + sig, 1, 0), stderr  # 130 for Ctrl-C, 143 for SIGTERM
        assert b"Traceback" not in stderr
        for root in roots:
            assert not root.exists()
            assert not _postmaster_alive(root)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def test_demo_fires_every_rule() -> None:
    """The rules, not the process, are under test here: the demo runs in this process."""
    args = ["demo", "--format", "json"]
    if BINDIR:
        args += ["--pg-bindir", BINDIR]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.stderr
    output = json.loads(result.stdout)
    fired = {f["code"] for f in output["findings"]}
    # Change rules (FK7xx) judge a review of new migrations, which the demo does not run.
    expected = {
        rule.code
        for rule in all_rules()
        if rule.enabled_by_default and not issubclass(rule, ChangeRule)
    }
    if int(output["summary"]["server_version"].split(".")[0]) < 18:  # NOT ENFORCED: 18+
        expected.discard("FK403")
    assert fired == expected
    assert "What next" in result.stderr
