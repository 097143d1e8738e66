"""The GitHub Action: `action.yml`, its runner script `.github/action/run.py`, and their docs.

run.py is not part of the fkaudit package (the action installs fkaudit from its own checkout
and then runs the script), so it is loaded here by path. The argv building is tested as a pure
function for every input combination; the end-to-end tests run the script the way the action's
run step does — a separate process, inputs in environment variables, `$GITHUB_OUTPUT` a file —
against a real server, with no Docker and no network.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner
from psycopg import conninfo

from fkaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
RUN_PY = ROOT / ".github" / "action" / "run.py"
ACTION_YML = ROOT / "action.yml"
CI_YML = ROOT / ".github" / "workflows" / "ci.yml"
DOCS = ROOT / "docs" / "github-action.md"
SHOP_SQL = ROOT / "fkaudit" / "demo" / "shop.sql"

PASSWORD = "s3cret-pw-never-printed"
PY = "/path/to/python"


def _load_run_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fkaudit_action_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load_run_py()

#: The inputs as GitHub passes them when a workflow sets none: every input, defaults filled in.
DEFAULTS: dict[str, str] = {
    "dsn": "",
    "schema-file": "",
    "migrations": "",
    "format": "github",
    "fail-on": "",
    "baseline": "",
    "new-since": "",
    "base-ref": "",
    "sizes-from": "",
    "args": "",
    "upload-sarif": "false",
    "sarif-file": "fkaudit.sarif",
}


def command_for(environ: Mapping[str, str] | None = None, /, **inputs: str) -> list[str]:
    """fkaudit's arguments (after `python -m fkaudit`) for the defaults overridden by `inputs`,
    in a job whose environment is `environ`."""
    command: list[str] = run.build_command({**DEFAULTS, **inputs}, python=PY, environ=environ)
    assert command[:4] == [PY, "-m", "fkaudit", "check"]
    return command[3:]


# --- what the install step installs ----------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "embedded"),
    [
        ({}, False),  # $DATABASE_URL
        ({"dsn": "postgresql://app@db/app"}, False),
        ({"dsn": "postgresql://app@db/app", "args": "--select FK1"}, False),
        ({"schema-file": "db/structure.sql"}, True),
        ({"migrations": "db/migrations"}, True),
        ({"args": "--schema-file db/structure.sql"}, True),
        ({"args": "--migrations=db/migrations"}, True),
        (
            {"schema-file": "db/structure.sql", "args": "--pg-bindir /usr/lib/postgresql/16/bin"},
            False,
        ),
        ({"schema-file": "db/structure.sql", "args": "--pg-bindir=/opt/pg/bin"}, False),
        ({"args": "'--schema-file"}, False),  # invalid: the run step reports it
    ],
)
def test_the_embedded_server_is_installed_only_to_load_sql_files(
    inputs: dict[str, str], embedded: bool
) -> None:
    assert run.needs_embedded({**DEFAULTS, **inputs}) is embedded
    expected = "/a/p[binary,embedded]" if embedded else "/a/p[binary]"
    assert run.requirement({**DEFAULTS, **inputs}, "/a/p") == expected


def test_requirement_is_printed_for_the_install_step(tmp_path: Path) -> None:
    for key, expected in (
        ("FKAUDIT_INPUT_SCHEMA_FILE", "/x[binary,embedded]"),
        ("FKAUDIT_INPUT_DSN", "/x[binary]"),
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("FKAUDIT_INPUT_")}
        env[key] = "db/structure.sql" if "SCHEMA" in key else "postgresql://h/d"
        out = subprocess.run(
            [sys.executable, str(RUN_PY), "--requirement", "/x"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        assert out.stdout == expected + "\n"


# --- build_command: one input combination at a time -------------------------------------------


def test_defaults_annotate_the_pull_request() -> None:
    assert command_for() == ["check", "--format", "github"]


def test_python_defaults_to_the_interpreter_running_the_script() -> None:
    assert run.build_command(DEFAULTS)[:4] == [sys.executable, "-m", "fkaudit", "check"]


def test_dsn_goes_to_the_environment_not_the_command_line() -> None:
    dsn = f"postgresql://app:{PASSWORD}@db.internal/shop"
    command = command_for(dsn=dsn)
    assert command == ["check", "--format", "github"]
    assert not any(PASSWORD in arg for arg in command)
    env = run.build_env({**DEFAULTS, "dsn": dsn}, {"PATH": "/bin", "DATABASE_URL": "other"})
    assert env == {"PATH": "/bin", "DATABASE_URL": dsn}


def test_without_dsn_the_environment_is_left_alone() -> None:
    environ = {"PATH": "/bin", "DATABASE_URL": "postgresql://ci@localhost/app"}
    assert run.build_env(DEFAULTS, environ) == environ


def test_schema_file() -> None:
    assert command_for(**{"schema-file": "db/structure.sql"}) == [
        "check",
        "--schema-file",
        "db/structure.sql",
        "--format",
        "github",
    ]


def test_migrations() -> None:
    assert command_for(migrations="db/migrations") == [
        "check",
        "--migrations",
        "db/migrations",
        "--format",
        "github",
    ]


def test_sarif_writes_the_sarif_file() -> None:
    assert command_for(format="sarif") == [
        "check",
        "--format",
        "sarif",
        "--output",
        "fkaudit.sarif",
    ]
    assert command_for(format="sarif", **{"sarif-file": "reports/fk.sarif"})[-2:] == [
        "--output",
        "reports/fk.sarif",
    ]


def test_sarif_file_is_only_used_with_format_sarif() -> None:
    assert "--output" not in command_for(format="json", **{"sarif-file": "x.sarif"})


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "github", "markdown"])
def test_other_formats_go_to_stdout(fmt: str) -> None:
    assert command_for(format=fmt) == ["check", "--format", fmt]


def test_empty_format_leaves_fkaudit_its_default() -> None:
    assert command_for(format="") == ["check"]


def test_fail_on_and_baseline() -> None:
    assert command_for(**{"fail-on": "error", "baseline": "fkaudit-baseline.json"}) == [
        "check",
        "--format",
        "github",
        "--fail-on",
        "error",
        "--baseline",
        "fkaudit-baseline.json",
    ]


def test_everything_at_once() -> None:
    inputs = {
        "schema-file": "schema.sql",
        "format": "sarif",
        "fail-on": "warning",
        "baseline": "base.json",
        "args": "--select FK1",
        "upload-sarif": "true",
        "sarif-file": "out/fk.sarif",
    }
    assert command_for(**inputs) == [
        "check",
        "--schema-file",
        "schema.sql",
        "--format",
        "sarif",
        "--output",
        "out/fk.sarif",
        "--fail-on",
        "warning",
        "--baseline",
        "base.json",
        "--select",
        "FK1",
    ]


def test_args_are_shell_quoted_and_come_last() -> None:
    command = command_for(args="--select \"FK1, FK2\" --exclude-table 'audit.*'", format="json")
    assert command == [
        "check",
        "--format",
        "json",
        "--select",
        "FK1, FK2",
        "--exclude-table",
        "audit.*",
    ]


def test_args_may_span_lines() -> None:
    # `args: |` in YAML: one option per line, with the block scalar's final newline.
    assert command_for(args="--ignore FK306\n--jobs 4\n") == [
        "check",
        "--format",
        "github",
        "--ignore",
        "FK306",
        "--jobs",
        "4",
    ]


def test_args_are_not_shell_code() -> None:
    assert command_for(args="$(touch /tmp/pwned); `id` >x")[-4:] == [
        "$(touch",
        "/tmp/pwned);",
        "`id`",
        ">x",
    ]


def test_args_override_earlier_options() -> None:
    command = command_for(args="--format json")
    assert command == ["check", "--format", "github", "--format", "json"]
    assert run.last_option(command, "--format") == "json"
    assert run.last_option([*command, "--format=table"], "--format") == "table"
    assert run.last_option(["check"], "--format") is None


def test_unbalanced_quotes_are_rejected() -> None:
    with pytest.raises(run.InputError, match="args"):
        command_for(args='--select "FK1')


@pytest.mark.parametrize(
    "inputs",
    [
        {"dsn": "postgresql://a@b/c", "schema-file": "s.sql"},
        {"dsn": "postgresql://a@b/c", "migrations": "db/migrate"},
        {"schema-file": "s.sql", "migrations": "db/migrate"},
        {"dsn": "postgresql://a@b/c", "schema-file": "s.sql", "migrations": "db/migrate"},
    ],
    ids=["dsn+schema-file", "dsn+migrations", "schema-file+migrations", "all-three"],
)
def test_sources_are_mutually_exclusive(inputs: dict[str, str]) -> None:
    with pytest.raises(run.InputError, match="mutually exclusive") as raised:
        command_for(**inputs)
    for name in inputs:
        assert name in str(raised.value)


def test_rejecting_a_dsn_does_not_repeat_it() -> None:
    dsn = f"postgresql://app:{PASSWORD}@db.internal/shop"
    with pytest.raises(run.InputError) as raised:
        command_for(dsn=dsn, **{"schema-file": "s.sql"})
    assert PASSWORD not in str(raised.value) and "db.internal" not in str(raised.value)


# --- the review mode: new-since, base-ref, sizes-from ------------------------------------------


def test_new_since_reviews_the_migrations_from_that_file_on() -> None:
    assert command_for(migrations="db/migrations", **{"new-since": "0042_add_fk.sql"}) == [
        "check",
        "--migrations",
        "db/migrations",
        "--new-since",
        "0042_add_fk.sql",
        "--format",
        "github",
    ]


def test_base_ref_is_passed_as_given() -> None:
    command = command_for(migrations="db/migrate", **{"base-ref": "origin/release-2"})
    assert command[:5] == ["check", "--migrations", "db/migrate", "--base-ref", "origin/release-2"]


def test_base_ref_auto_is_the_pull_requests_target_branch() -> None:
    inputs = {"migrations": "db/migrate", "base-ref": "auto"}
    on_pull_request = command_for({"GITHUB_BASE_REF": "main"}, **inputs)
    assert on_pull_request[3:5] == ["--base-ref", "origin/main"]
    # A push (GITHUB_BASE_REF is set, empty, outside pull request events): the whole folder.
    for environ in ({"GITHUB_BASE_REF": ""}, {}):
        assert command_for(environ, **inputs) == [
            "check",
            "--migrations",
            "db/migrate",
            "--format",
            "github",
        ]


def test_review_inputs_may_take_the_folder_from_args() -> None:
    command = command_for(args="--migrations db/m", **{"new-since": "2.sql"})
    assert command == [
        "check",
        "--new-since",
        "2.sql",
        "--format",
        "github",
        "--migrations",
        "db/m",
    ]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"new-since": "2.sql", "base-ref": "auto"}, "mutually exclusive"),
        ({"new-since": "2.sql"}, "new-since needs migrations"),
        ({"base-ref": "origin/main"}, "base-ref needs migrations"),
        ({"schema-file": "s.sql", "base-ref": "auto"}, "base-ref needs migrations"),
        ({"migrations": "m", "sizes-from": "postgresql://ro@prod/app"}, "sizes-from needs"),
        ({"migrations": "m", "base-ref": "--output=/etc/x"}, "base-ref must not start"),
        ({"migrations": "m", "new-since": "-q"}, "new-since must not start"),
    ],
)
def test_review_inputs_are_checked(inputs: dict[str, str], message: str) -> None:
    with pytest.raises(run.InputError, match=message) as raised:
        command_for({"GITHUB_BASE_REF": "main"}, **inputs)
    assert "prod" not in str(raised.value)


def test_sizes_from_goes_to_the_environment_not_the_command_line() -> None:
    dsn = f"postgresql://ro:{PASSWORD}@prod.internal/app"
    inputs = {**DEFAULTS, "migrations": "m", "new-since": "2.sql", "sizes-from": dsn}
    command = run.build_command(inputs, python=PY)
    assert not any(PASSWORD in arg or "prod.internal" in arg for arg in command)
    assert run.build_env(inputs, {"PATH": "/bin"}) == {"PATH": "/bin", "FKAUDIT_SIZES_FROM": dsn}


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A pull request's checkout as actions/checkout leaves it by default: one commit deep,
    the target branch (main) not fetched. The origin's main has the base migration; the pull
    request adds one with a validated foreign key on a table that existed (FK701)."""
    origin = tmp_path / "origin"
    migrations = origin / "db" / "migrations"
    migrations.mkdir(parents=True)
    git(origin, "init", "-q", "-b", "main")
    (migrations / "001_base.sql").write_text(
        "CREATE TABLE customers (id int PRIMARY KEY);\n"
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int);\n",
        encoding="utf-8",
    )
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "base")
    git(origin, "checkout", "-q", "-b", "feature")
    (migrations / "002_add_fk.sql").write_text(
        "-- the key, validated at once\n"
        "ALTER TABLE orders ADD CONSTRAINT fk_orders_customer\n"
        "    FOREIGN KEY (customer_id) REFERENCES customers;\n",
        encoding="utf-8",
    )
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "add a key")
    work = tmp_path / "work"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth=1",
            "--single-branch",
            "--branch",
            "feature",
            origin.as_uri(),
            str(work),
        ],
        check=True,
    )
    return work


def test_a_missing_target_branch_is_fetched_for_auto(pull_request: Path) -> None:
    migrations = str(pull_request / "db" / "migrations")
    assert run.ensure_revision("origin/main", migrations, fetch=False) is not None
    assert run.ensure_revision("origin/main", migrations, fetch=True) is None
    assert git(pull_request, "ls-tree", "-r", "--name-only", "origin/main").split() == [
        "db/migrations/001_base.sql"
    ]


def test_a_missing_revision_says_how_to_get_it(pull_request: Path) -> None:
    migrations = str(pull_request / "db" / "migrations")
    for ref, fetch in (("origin/release", True), ("v1.2", False), ("origin/main", False)):
        why = run.ensure_revision(ref, migrations, fetch=fetch)
        assert why is not None and "fetch-depth: 0" in why and ref in why
    assert run.ensure_revision("HEAD", migrations, fetch=False) is None


@pytest.mark.parametrize("value", ["true", "True", "TRUE"])
def test_upload_sarif_accepts_true_in_any_case(value: str) -> None:
    assert command_for(format="sarif", **{"upload-sarif": value})[2:4] == ["sarif", "--output"]


def test_upload_sarif_needs_format_sarif() -> None:
    with pytest.raises(run.InputError, match="format: sarif"):
        command_for(format="github", **{"upload-sarif": "true"})


@pytest.mark.parametrize("value", ["yes", "1", "on"])
def test_upload_sarif_is_a_boolean(value: str) -> None:
    with pytest.raises(run.InputError, match="upload-sarif"):
        command_for(format="sarif", **{"upload-sarif": value})


def test_sarif_file_must_be_one_line() -> None:
    with pytest.raises(run.InputError, match="sarif-file"):
        command_for(format="sarif", **{"sarif-file": "a.sarif\nexit-code=0"})


def test_inputs_are_read_from_their_variables_and_stripped() -> None:
    inputs = run.read_inputs(
        {
            "FKAUDIT_INPUT_SCHEMA_FILE": " schema.sql\n",
            "FKAUDIT_INPUT_ARGS": "--jobs 4\n",
            "FKAUDIT_INPUT_FORMAT": "sarif",
            "INPUT_DSN": "not ours",
        }
    )
    assert inputs == {
        **{name: "" for name in run.INPUT_ENV},
        "schema-file": "schema.sql",
        "args": "--jobs 4",
        "format": "sarif",
    }


def test_the_printed_command_reads_like_the_cli() -> None:
    command = run.build_command({**DEFAULTS, "args": '--select "FK1, FK2"'}, python=PY)
    assert run.display(command) == "fkaudit check --format github --select 'FK1, FK2'"


def test_workflow_command_messages_stay_one_line() -> None:
    assert run.escape_data("50%\r\nnext") == "50%25%0D%0Anext"


# --- main(): outputs, exit status, nothing secret printed --------------------------------------


def action_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """The run step's environment: ours, the inputs as action.yml passes them, an output file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FKAUDIT_INPUT_")}
    env.pop("DATABASE_URL", None)
    env.update({run.INPUT_ENV[name]: value for name, value in {**DEFAULTS, **inputs}.items()})
    env["GITHUB_OUTPUT"] = str(tmp_path / "github_output")
    return env


def read_outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "github_output").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_invalid_inputs_record_exit_code_2(tmp_path: Path, capsys: Any) -> None:
    dsn = f"postgresql://app:{PASSWORD}@db.internal/shop"
    env = action_env(tmp_path, dsn=dsn, **{"schema-file": "s.sql"})
    assert run.main(env) == 0  # the action's last step fails it, after the (skipped) upload
    assert read_outputs(tmp_path) == {"exit-code": "2"}
    out, err = capsys.readouterr()
    assert "::error title=fkaudit action::" in out and "mutually exclusive" in out
    assert PASSWORD not in out + err and dsn not in out + err


def test_without_github_output_the_exit_code_is_the_status(tmp_path: Path) -> None:
    env = action_env(tmp_path, **{"schema-file": "s.sql", "migrations": "m"})
    del env["GITHUB_OUTPUT"]
    assert run.main(env) == 2
    assert not (tmp_path / "github_output").exists()


def test_unreachable_server_leaks_no_dsn(tmp_path: Path, capfd: Any) -> None:
    """fkaudit's connection error and everything around it stay free of the DSN's password.

    Also: a stale SARIF file is removed rather than reported as this run's result, and output
    other than format github cannot issue workflow commands.
    """
    dsn = f"postgresql://app:{PASSWORD}@127.0.0.1:{unused_port()}/shop?connect_timeout=5"
    stale = tmp_path / "fkaudit.sarif"
    stale.write_text("{}", encoding="utf-8")
    env = action_env(tmp_path, dsn=dsn, format="sarif", **{"sarif-file": str(stale)})
    assert run.main(env) == 0
    assert read_outputs(tmp_path) == {"exit-code": "2"}  # no sarif-file: nothing to upload
    assert not stale.exists()
    out, err = capfd.readouterr()
    assert PASSWORD not in out + err and dsn not in out + err
    token = re.search(r"^::stop-commands::(\w+)$", out, re.M)
    assert token and f"\n::{token[1]}::\n" in out


def test_the_fkaudit_it_runs_must_be_installed(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m fkaudit` without fkaudit exits 1, which would read as "findings".
    monkeypatch.setattr(run.importlib.util, "find_spec", lambda name: None)
    assert run.main(action_env(tmp_path)) == 0
    assert read_outputs(tmp_path) == {"exit-code": "2"}
    assert "fkaudit is not installed" in capsys.readouterr().out


# --- end to end: the script as the action's run step runs it ----------------------------------


def run_step(
    tmp_path: Path, environ: Mapping[str, str] | None = None, /, **inputs: str
) -> subprocess.CompletedProcess[str]:
    """Run run.py in a separate process from `tmp_path` (the workspace), as action.yml does;
    `environ` adds to the job's environment (GITHUB_BASE_REF, ...)."""
    return subprocess.run(
        [sys.executable, str(RUN_PY)],
        env={**action_env(tmp_path, **inputs), **(environ or {})},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def throwaway_server_args() -> str:
    """`--pg-bindir` for the suite's own server binaries when it uses them (else embedded)."""
    bindir = os.environ.get("FKAUDIT_TEST_PG_BINDIR")
    return f"--pg-bindir {shlex.quote(bindir)}" if bindir else ""


@pytest.fixture
def dsn_with_password(db: str) -> Iterator[str]:
    """The test database's DSN with a password in it, so that its absence can be checked.

    The suite's servers trust local connections and ignore it; a server that does check
    passwords gets its DSN unchanged (it then holds a real one).
    """
    if conninfo.conninfo_to_dict(db).get("password"):
        yield db
        return
    candidate = conninfo.make_conninfo(db, password=PASSWORD)
    try:
        psycopg.connect(candidate).close()
    except psycopg.OperationalError:
        yield db
    else:
        yield candidate


def test_dsn_end_to_end(tmp_path: Path, dsn_with_password: str) -> None:
    done = run_step(tmp_path, dsn=dsn_with_password, format="json")
    assert done.returncode == 0, done.stderr
    assert read_outputs(tmp_path) == {"exit-code": "0"}  # an empty database: nothing to report
    printed = done.stdout + done.stderr
    assert dsn_with_password not in printed
    password = conninfo.conninfo_to_dict(dsn_with_password).get("password")
    assert not password or str(password) not in printed
    report = json.loads(done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1])
    assert report["findings"] == []


def test_schema_file_to_sarif_end_to_end(tmp_path: Path) -> None:
    done = run_step(
        tmp_path,
        **{"schema-file": str(SHOP_SQL), "format": "sarif", "args": throwaway_server_args()},
    )
    assert done.returncode == 0, done.stderr
    outputs = read_outputs(tmp_path)
    sarif = tmp_path / "fkaudit.sarif"
    assert outputs == {"exit-code": "1", "sarif-file": str(sarif)}  # the demo has findings
    report = json.loads(sarif.read_text(encoding="utf-8"))
    assert report["version"] == "2.1.0"
    assert report["runs"][0]["results"]
    assert all(r["ruleId"].startswith("FK") for r in report["runs"][0]["results"])


def test_baseline_end_to_end(tmp_path: Path) -> None:
    """A baseline of the demo's findings makes the same schema pass (CI's `action` job)."""
    baseline = tmp_path / "baseline.json"
    # Recording the baseline is not what is tested here: it runs in this process.
    server = shlex.split(throwaway_server_args())
    recorded = CliRunner().invoke(
        main, ["baseline", str(baseline), "--schema-file", str(SHOP_SQL), *server]
    )
    assert recorded.exit_code == 0, recorded.output
    done = run_step(
        tmp_path,
        **{
            "schema-file": str(SHOP_SQL),
            "baseline": str(baseline),
            "args": throwaway_server_args(),
        },
    )
    assert done.returncode == 0, done.stderr
    assert read_outputs(tmp_path) == {"exit-code": "0"}, done.stdout + done.stderr


def test_pull_request_review_end_to_end(
    pull_request: Path, dsn_with_password: str, conn: psycopg.Connection[Any]
) -> None:
    """`base-ref: auto` on a pull request checked out one commit deep: the target branch is
    fetched, the new migration reviewed, and its FK701 tells the size of the live table that
    `sizes-from` names (the test database, with the table filled), whose DSN is printed
    nowhere."""
    conn.execute(
        "CREATE TABLE customers (id int PRIMARY KEY);"
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int);"
        "INSERT INTO orders SELECT g, NULL FROM generate_series(1, 1000) g;"
        "ANALYZE orders"
    )
    done = run_step(
        pull_request,
        {"GITHUB_BASE_REF": "main", "GITHUB_WORKSPACE": str(pull_request)},
        migrations="db/migrations",
        format="json",
        **{
            "base-ref": "auto",
            "sizes-from": dsn_with_password,
            "args": f"--select FK7 {throwaway_server_args()}",
        },
    )
    assert done.returncode == 0, done.stderr
    assert read_outputs(pull_request) == {"exit-code": "1"}, done.stdout + done.stderr
    assert "--base-ref origin/main" in done.stdout  # the "Running: fkaudit check ..." line
    report = json.loads(done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1])
    (finding,) = report["findings"]
    assert finding["code"] == "FK701"
    assert finding["location"] == {"path": "db/migrations/002_add_fk.sql", "line": 2}
    assert finding["details"]["rows"] == 1000
    printed = done.stdout + done.stderr
    assert dsn_with_password not in printed
    password = conninfo.conninfo_to_dict(dsn_with_password).get("password")
    assert not password or str(password) not in printed


def test_base_ref_auto_outside_a_pull_request_audits_the_folder(pull_request: Path) -> None:
    done = run_step(
        pull_request,
        {"GITHUB_BASE_REF": ""},
        migrations="db/migrations",
        format="json",
        **{"base-ref": "auto", "args": f"--select FK101 {throwaway_server_args()}"},
    )
    assert done.returncode == 0, done.stderr
    assert "::notice title=fkaudit action::base-ref auto: not a pull request" in done.stdout
    assert read_outputs(pull_request) == {"exit-code": "1"}  # FK101 of the whole folder
    report = json.loads(done.stdout[done.stdout.index("{\n") : done.stdout.rindex("}") + 1])
    assert [f["code"] for f in report["findings"]] == ["FK101"]


def test_a_base_ref_not_in_the_checkout_is_exit_2(pull_request: Path) -> None:
    done = run_step(pull_request, migrations="db/migrations", **{"base-ref": "origin/main"})
    assert done.returncode == 0, done.stderr
    assert read_outputs(pull_request) == {"exit-code": "2"}
    assert "::error title=fkaudit action::base-ref origin/main is not in the checkout" in (
        done.stdout
    )


# --- action.yml --------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


ACTION: dict[str, Any] = load_yaml(ACTION_YML)
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
INPUTS: dict[str, dict[str, Any]] = ACTION["inputs"]


def expression(name: str) -> re.Pattern[str]:
    return re.compile(r"\$\{\{\s*inputs\." + re.escape(name) + r"\s*\}\}")


def test_is_a_composite_action() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for step in STEPS:
        assert "name" in step
        if "run" in step:
            assert step.get("shell") == "bash", f"{step['name']}: composite run steps need shell"


def test_no_script_interpolates_an_expression() -> None:
    """`${{ ... }}` in a `run:` body is pasted into the script before the shell parses it: an
    input holding `"; curl ... | sh` would run. Everything reaches scripts through `env:`."""
    for step in STEPS:
        assert "${{" not in step.get("run", ""), step["name"]


def test_every_input_is_described_and_consumed() -> None:
    passed_on = [
        str(value)
        for step in STEPS
        for mapping in (step.get("env") or {}, step.get("with") or {})
        for value in mapping.values()
    ]
    for name, spec in INPUTS.items():
        assert str(spec.get("description", "")).strip(), f"input {name} has no description"
        assert any(expression(name).search(value) for value in passed_on), f"{name} is unused"


def test_run_step_passes_exactly_the_inputs_run_py_reads() -> None:
    (step,) = [step for step in STEPS if step.get("id") == "run"]
    passed = {key: value for key, value in step["env"].items() if key.startswith("FKAUDIT_INPUT_")}
    assert passed == {var: f"${{{{ inputs.{name} }}}}" for name, var in run.INPUT_ENV.items()}
    assert set(run.INPUT_ENV) == set(INPUTS) - {"python-version", "category"}
    assert f"$GITHUB_ACTION_PATH/{RUN_PY.relative_to(ROOT).as_posix()}" in step["run"]


def test_defaults_agree_with_run_py() -> None:
    assert {name: str(spec.get("default", "")) for name, spec in INPUTS.items()} == {
        **DEFAULTS,
        "python-version": "3.12",
        "category": "",
    }
    assert INPUTS["sarif-file"]["default"] == run.DEFAULT_SARIF_FILE


def test_outputs_come_from_the_run_step() -> None:
    ids = {step.get("id") for step in STEPS}
    for name, spec in ACTION["outputs"].items():
        assert str(spec.get("description", "")).strip(), f"output {name} has no description"
        match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert match and match[1] in ids and match[2] == name


def test_upload_runs_after_findings_and_before_the_failure() -> None:
    names = [step.get("uses", "").split("@")[0] or step.get("id") for step in STEPS]
    upload = names.index("github/codeql-action/upload-sarif")
    assert names.index("run") < upload < len(STEPS) - 1
    assert "steps.run.outputs.sarif-file" in STEPS[upload]["if"]
    assert "steps.run.outputs.exit-code" in STEPS[-1]["env"]["FKAUDIT_EXIT_CODE"]


def test_upload_takes_the_category() -> None:
    """Two databases audited in one job upload under their own categories: upload-sarif
    refuses a second upload of one category per job."""
    (upload,) = [s for s in STEPS if str(s.get("uses", "")).startswith("github/codeql-action/")]
    assert upload["with"]["category"] == "${{ inputs.category }}"


#: The major versions the action and its documentation use: upload-sarif v3 is deprecated,
#: checkout and setup-python run on Node 24 from v5 / v6 (their current major: v7).
CURRENT_MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "github/codeql-action/upload-sarif": "v4",
}


def used_actions(text: str) -> list[tuple[str, str]]:
    return re.findall(r"uses:\s*([\w.-]+/[\w./-]+)@([\w.-]+)", text)


def test_actions_used_are_at_their_current_major() -> None:
    texts = [ACTION_YML, CI_YML, DOCS, ROOT / "README.md"]
    found = [pair for path in texts for pair in used_actions(path.read_text(encoding="utf-8"))]
    assert {name for name, _ in found} >= set(CURRENT_MAJORS)
    for name, ref in found:
        if name in CURRENT_MAJORS:
            assert ref == CURRENT_MAJORS[name], (name, ref)


def test_install_step_passes_exactly_the_inputs_requirement_reads() -> None:
    (step,) = [step for step in STEPS if step.get("id") == "install"]
    passed = {key: value for key, value in step["env"].items() if key.startswith("FKAUDIT_INPUT_")}
    read = ("schema-file", "migrations", "args")
    assert passed == {run.INPUT_ENV[name]: f"${{{{ inputs.{name} }}}}" for name in read}
    assert 'run.py" --requirement' in step["run"] and '"$requirement"' in step["run"]
    assert "[embedded]" not in step["run"]


# --- the workflows and docs that use it --------------------------------------------------------


def action_uses(document: Any) -> Iterator[Mapping[str, Any]]:
    """Every step of a workflow that uses this action (`./` here, `…/fkaudit@…` in docs)."""
    for job in (document or {}).get("jobs", {}).values():
        for step in job.get("steps", []):
            uses = str(step.get("uses", ""))
            if uses == "./" or re.fullmatch(r"[\w.-]+/fkaudit@[\w.-]+", uses):
                yield step


def test_ci_runs_the_action_with_real_inputs() -> None:
    steps = list(action_uses(load_yaml(CI_YML)))
    assert len(steps) == 2
    for step in steps:
        assert set(step.get("with", {})) <= set(INPUTS)


def docs_workflows() -> list[Any]:
    text = DOCS.read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_docs_examples_use_real_inputs() -> None:
    steps = [step for workflow in docs_workflows() for step in action_uses(workflow)]
    assert len(steps) >= 4
    for step in steps:
        assert set(step.get("with", {})) <= set(INPUTS), step


def test_docs_list_every_input_and_output() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in [*INPUTS, *ACTION["outputs"]]:
        assert f"| `{name}` |" in text, f"docs/github-action.md does not document {name}"
