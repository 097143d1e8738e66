"""The wheel built from this checkout installs into a fresh virtual environment and runs.

Users get the wheel (`pip install`, pipx, uvx), not this checkout: package data pyproject.toml
forgets (the demo's SQL, `py.typed`), a test directory swept into the package or a broken entry
point shows only there. So the wheel is built from a copy of the checkout, its contents and
metadata are read, and it is installed into a new virtual environment that runs `fkaudit demo`.

All of it offline, as the rest of the suite: setuptools from the test environment builds the
wheel (`--no-build-isolation`; the `test` group brings setuptools >= 77), pip installs it with
`--no-deps --no-index`, and fkaudit's dependencies (psycopg and its libpq, click, the embedded
server) are this environment's, seen from the new one through a `.pth` file. The new
environment's own site-packages comes first on its path, and the tests check that the fkaudit
it runs is the wheel's. About 3 s on a 2-core machine: 1.5 s to build and install, 1 s for the demo.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest

import fkaudit
from fkaudit.rules import all_rules

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
DIST_INFO = f"fkaudit-{fkaudit.__version__}.dist-info"
# Not part of what the wheel is built from: environments, VCS data and build leftovers.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", "venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "results"
)


@dataclass(frozen=True)
class Installed:
    """The wheel and the virtual environment it was installed into."""

    wheel: Path
    python: Path
    bin: Path


def _run(args: list[str | Path], cwd: Path, timeout: float = 120) -> str:
    """Run a build or install step; a failure shows its output."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result.stdout


def _clean_env() -> dict[str, str]:
    """This environment without what could let the checkout stand in for the wheel."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from a copy of the checkout and install it into a new environment."""
    work = tmp_path_factory.mktemp("wheel")
    source, dist, venv = work / "source", work / "dist", work / "venv"
    # A copy, so that the build's `build/` and `*.egg-info` never land in the checkout.
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, source], work
    )
    (wheel,) = dist.glob("fkaudit-*.whl")

    # No pip of its own: this environment's pip installs into it (`pip --python`).
    _run([sys.executable, "-m", "venv", "--without-pip", venv], work)
    python = venv / "bin" / "python"
    _run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], work)
    purelib = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work).strip()
    )
    ours = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    (purelib / "fkaudit-test-dependencies.pth").write_text("\n".join(ours) + "\n")
    yield Installed(wheel, python, venv / "bin")


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{DIST_INFO}/METADATA").decode()
    return email.parser.Parser().parsestr(text)


def test_the_wheel_holds_the_package_and_nothing_else(installed: Installed) -> None:
    names = _names(installed.wheel)
    package = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "fkaudit").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc")
    }
    assert {"fkaudit/py.typed", "fkaudit/demo/shop.sql", "fkaudit/__main__.py"} <= package
    assert {name for name in names if name.startswith("fkaudit/")} == package
    assert {name.split("/")[0] for name in names} == {"fkaudit", DIST_INFO}  # no tests/, docs/
    with zipfile.ZipFile(installed.wheel) as archive:
        licence = archive.read(f"{DIST_INFO}/licenses/LICENSE")
    assert licence == (ROOT / "LICENSE").read_bytes()


def test_the_metadata_leaves_libpq_to_the_user(installed: Installed) -> None:
    metadata = _metadata(installed.wheel)
    assert metadata["License-Expression"] == "MIT"
    assert "Typing :: Typed" in metadata.get_all("Classifier", [])
    requires = metadata.get_all("Requires-Dist", [])
    assert "psycopg>=3.2" in requires
    assert 'psycopg[binary]>=3.2; extra == "binary"' in requires
    assert not [r for r in requires if r.startswith("psycopg[") and "extra ==" not in r]
    # Development tools are dependency groups, which wheels do not carry.
    assert set(metadata.get_all("Provides-Extra", [])) == {
        "binary",
        "contrib",
        "embedded",
        "testcontainers",
    }


def test_the_installed_wheel_runs_the_demo(installed: Installed, tmp_path: Path) -> None:
    where = subprocess.run(
        [installed.python, "-c", "import fkaudit; print(fkaudit.__file__)"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.python.parent.parent)

    rules = _run([installed.bin / "fkaudit", "rules"], tmp_path)
    assert all(rule.code in rules for rule in all_rules())

    # The example schema has findings by design: 1 is the demo's normal exit code.
    demo = subprocess.run(
        [installed.bin / "fkaudit", "demo"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 1, demo.stdout + demo.stderr
    assert "FK101" in demo.stdout and " foreign keys on " in demo.stdout  # the summary line
