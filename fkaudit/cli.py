"""The `fkaudit` command: a thin click layer over the public API.

Heavy modules (psycopg, the rules) are imported inside the commands so that `fkaudit --help`
stays fast. Every failure a user can cause ends as one line on stderr and exit code 2; a
traceback is shown only with FKAUDIT_DEBUG=1.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from fkaudit import __version__
from fkaudit.errors import EXIT_ERROR, EXIT_INTERRUPTED, FkauditError
from fkaudit.orphans import MODES
from fkaudit.reporters import FORMATS

if TYPE_CHECKING:
    from fkaudit.engine import Report
    from fkaudit.findings import Severity

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = ("error", "warning", "info")


def _fail(message: str) -> NoReturn:
    click.echo(f"fkaudit: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def handle_errors(func: F) -> F:
    """Turn every failure into one line and an exit code; never a traceback or a password."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FkauditError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            click.echo("fkaudit: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if os.environ.get("FKAUDIT_DEBUG"):
                raise
            _fail(_describe_unexpected(exc, kwargs.get("dsn")))

    return wrapper  # type: ignore[return-value]


def _describe_unexpected(exc: Exception, dsn: str | None) -> str:
    """One line for a database or internal error, with any password removed."""
    import psycopg

    from fkaudit.connection import resolve_dsn
    from fkaudit.errors import one_line

    text = one_line(exc, resolve_dsn(dsn))
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"permission denied while reading the catalog: {text}"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return f"the server cancelled a catalog query (statement timeout): {text}"
    if isinstance(exc, psycopg.Error):
        return f"database error: {text}"
    return f"internal error: {type(exc).__name__}: {text} (set FKAUDIT_DEBUG=1 for a traceback)"


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind the stack like Ctrl-C, so context managers clean up."""

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while an audit builds and formats its results.

    An audit allocates a large, acyclic graph of catalog records and findings; every
    generation-2 collection rescans all of it, which measured 0.4-1.0 s of a 1.5 s run on
    10,000 tables. Reference counting still frees everything; the collector resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _split(values: Sequence[str]) -> list[str]:
    """Accept both repeated options and comma-separated lists."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def audit_options(func: F) -> F:
    """Options shared by every command that audits a database."""
    decorators = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="Output format."),
        click.option("--config", "config_file", type=click.Path(path_type=Path),
                     help="Configuration file (default: fkaudit.toml, .fkaudit.toml or "
                          "pyproject.toml [tool.fkaudit], searched upward from here)."),
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these rules: codes, prefixes (FK1) or names; repeatable."),
        click.option("--ignore", multiple=True, metavar="CODES",
                     help="Skip these rules: codes, prefixes or names; repeatable."),
        click.option("--fail-on", type=click.Choice(SEVERITIES),
                     help="Exit 1 when a finding has this severity or a higher one "
                          "[default: warning, or the configuration's fail-on]."),
        click.option("--show-suppressed", is_flag=True,
                     help="Also list the findings suppressed by fkaudit:ignore comments."),
        click.option("--schema", "schemas", multiple=True, metavar="GLOB",
                     help="Only tables in matching schemas; repeatable."),
        click.option("--exclude-schema", "exclude_schemas", multiple=True, metavar="GLOB",
                     help="Skip matching schemas; repeatable."),
        click.option("--table", "tables", multiple=True, metavar="GLOB",
                     help="Only matching tables (`name` or `schema.name`); repeatable."),
        click.option("--exclude-table", "exclude_tables", multiple=True, metavar="GLOB",
                     help="Skip matching tables; repeatable."),
        click.option("--statement-timeout", type=click.IntRange(min=1), default=60,
                     show_default=True, metavar="SECONDS",
                     help="Server-side limit for each query fkaudit runs (each orphan scan)."),
        click.option("--orphans", type=click.Choice(MODES), default="suspect",
                     show_default=True,
                     help="Which foreign keys FK501 scans for orphaned rows: those that may "
                          "have them (NOT VALID, NOT ENFORCED, triggers disabled), all, or none."),
        click.option("--samples", type=click.IntRange(min=0), default=5, show_default=True,
                     metavar="N", help="Orphan keys shown per foreign key."),
        click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
                     metavar="N", help="Orphan scans run at once, on separate connections."),
        click.option("--sample", "sample_percent", type=click.FloatRange(0, 100, min_open=True),
                     metavar="PERCENT",
                     help="Scan a PERCENT page sample of referencing tables of 100,000 rows "
                          "or more; their orphan counts become estimates."),
        click.option("--allow-incomplete", is_flag=True,
                     help="Exit by the findings even when an orphan scan timed out or was "
                          "refused (it is still reported)."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _audit(target: Any, options: dict[str, Any]) -> tuple[Report, Severity]:
    """Audit `target` with the configuration file and the command-line options over it."""
    from fkaudit.config import load_config
    from fkaudit.findings import Severity

    config = load_config(options["config_file"])
    bars: list[Any] = []

    def progress(catalog: Any, fks: list[Any]) -> Any:
        from fkaudit.orphans.progress import ScanProgress

        bars.append(ScanProgress(catalog, fks, sys.stderr))
        return bars[-1]

    try:
        report = _audit_with(target, options, config, progress if sys.stderr.isatty() else None)
    finally:
        for bar in bars:
            bar.close()
    for error in report.errors:
        click.echo(f"fkaudit: error: {error.message}", err=True)
    for error in report.incomplete:
        click.echo(f"fkaudit: warning: {error.message}", err=True)
    fail_on = (
        Severity.parse(options["fail_on"]) if options["fail_on"] else config.fail_on
    ) or Severity.WARNING
    return report, fail_on


def _audit_with(target: Any, options: dict[str, Any], config: Any, progress: Any) -> Report:
    """`audit()` with the command-line options over the configuration file."""
    from fkaudit.api import audit
    from fkaudit.catalog.scope import Scope
    from fkaudit.connection import SessionLimits

    return audit(
        target,
        select=_split(options["select"]),
        ignore=_split(options["ignore"]),
        scope=Scope(
            schemas=tuple(options["schemas"]) or config.schemas,
            exclude_schemas=tuple(options["exclude_schemas"]) or config.exclude_schemas,
            tables=tuple(options["tables"]),
            exclude_tables=tuple(options["exclude_tables"]),
        ),
        limits=SessionLimits(statement_timeout_ms=options["statement_timeout"] * 1000),
        config=config,
        orphans=options["orphans"],
        samples=options["samples"],
        jobs=options["jobs"],
        allow_incomplete=options["allow_incomplete"],
        progress=progress,
        sample_percent=options["sample_percent"],
    )


def _run_audit(target: Any, options: dict[str, Any]) -> int:
    """Audit `target`, print the report in the chosen format, return the exit code."""
    from fkaudit.reporters import renderer

    with paused_gc():
        report, fail_on = _audit(target, options)
        output = renderer(options["fmt"])(report, show_suppressed=options["show_suppressed"])
    click.echo(output)
    _outlive_the_command(report)
    return report.exit_code(fail_on)


# Set by `run`: the process ends right after the command, so its results need not be freed.
_exiting_after_command = False
_kept_alive: list[object] = []


def _outlive_the_command(result: object) -> None:
    """Keep a large result alive until `run` ends the process, which frees it wholesale."""
    if _exiting_after_command:
        _kept_alive.append(result)


def run() -> None:
    """The `fkaudit` console entry point: `main`, then an exit without interpreter teardown.

    An audit of 10,000 tables builds about half a million small objects; freeing them one by
    one and tearing the interpreter down took 0.1 s of a 1.3 s run. When `main` returns, the
    output is written, connections are closed and throwaway servers stopped (their context
    managers have run), so the process ends with `os._exit` once the streams are flushed.
    Unexpected exceptions still propagate with their traceback.
    """
    global _exiting_after_command
    _exiting_after_command = True
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (fkaudit ... | head): nothing to report
        pass
    os._exit(code or 0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fkaudit")
def main() -> None:
    """Lint and audit the foreign keys of a PostgreSQL database.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 the run could not
    be completed (usage, connection, permission or internal error).
    """


@main.command()
@click.argument("dsn", required=False)
@audit_options
@handle_errors
def check(dsn: str | None, **options: Any) -> None:
    """Audit the database at DSN (a libpq URI or key=value string).

    Without DSN, $DATABASE_URL is used, else the PG* environment variables (PGHOST, PGUSER,
    PGDATABASE, PGPASSWORD, ...). The session is read-only and time-bounded.
    """
    sys.exit(_run_audit(dsn, options))


@main.command()
@click.option("--pg-bindir", type=click.Path(file_okay=False, path_type=Path),
              help="PostgreSQL bin directory (12-18) instead of the embedded server.")
@audit_options
@handle_errors
def demo(pg_bindir: Path | None, **options: Any) -> None:
    """Start a throwaway PostgreSQL, load an example shop schema and audit it."""
    from importlib.resources import files

    import psycopg

    from fkaudit.server import ThrowawayServer

    schema = files("fkaudit.demo").joinpath("shop.sql").read_text(encoding="utf-8")
    with sigterm_as_exit(), ThrowawayServer(pg_bindir) as server:
        click.echo(f"Started a throwaway PostgreSQL {server.major_version()}; "
                   "loading the example shop schema...", err=True)  # fmt: skip
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(schema)  # a trusted, bundled file
        code = _run_audit(server.dsn(), options)
    click.echo(_DEMO_NEXT_STEPS, err=True)
    sys.exit(code)


_DEMO_NEXT_STEPS = """
What next:
  fkaudit explain FK101                 what a rule checks, why it matters, how to fix it
  fkaudit rules                         every rule with its code and default severity
  fkaudit check postgresql://USER@HOST/DB          audit your own database (read-only)
  fkaudit check "$DATABASE_URL" --format json      machine-readable output for CI
"""


@main.command()
@click.argument("dsn", required=False)
@audit_options
@handle_errors
def fix(dsn: str | None, **options: Any) -> None:
    """Print a SQL migration that fixes what can be fixed mechanically.

    Audits DSN like `check` and writes to stdout: CREATE INDEX CONCURRENTLY for unindexed
    foreign keys, VALIDATE CONSTRAINT, ENABLE TRIGGER, DROP CONSTRAINT for exact duplicates and
    RENAME CONSTRAINT to the naming convention, each under a comment naming its finding.
    Changes that need a decision (SET NOT NULL, actions, types) follow as commented-out
    suggestions. Nothing is executed: review the script, then run it with psql. Exit codes
    are those of `check` (1 when findings at or above --fail-on remain to be fixed).
    """
    from fkaudit.migration import render_migration

    with paused_gc():
        report, fail_on = _audit(dsn, options)
        migration = render_migration(report)
    click.echo(migration, nl=False)
    _outlive_the_command(report)
    sys.exit(report.exit_code(fail_on))


@main.command("rules")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="Configuration file (default: searched upward from here).")  # fmt: skip
@handle_errors
def list_rules(config_file: Path | None) -> None:
    """List the rules with their effective configuration.

    For each rule: code, name, whether it runs by default with this configuration, its
    severity (configured or default) and its options, then a one-line summary.
    """
    from tabulate import tabulate

    from fkaudit.config import load_config
    from fkaudit.engine import select_rules
    from fkaudit.rules import all_rules

    config = load_config(config_file)
    enabled = {rule.code for rule in select_rules(config.select, config.ignore, config)}
    rows = []
    for rule in all_rules():
        settings = config.rule(rule.code)
        options = {**rule.option_defaults, **settings.options}
        rows.append([
            rule.code, rule.name, "yes" if rule.code in enabled else "no",
            (settings.severity or rule.default_severity).label,
            ", ".join(f"{k}={v!r}" for k, v in options.items()), rule.summary(),
        ])  # fmt: skip
    source = f"configuration: {config.path}" if config.path else "no configuration file found"
    click.echo(source)
    click.echo(tabulate(rows, headers=["code", "name", "enabled", "severity", "options",
                                       "summary"], tablefmt="simple"))  # fmt: skip


@main.command()
@click.argument("rule")
@handle_errors
def explain(rule: str) -> None:
    """Print the full documentation of RULE (a code such as FK101, or its name)."""
    from fkaudit.rules import all_rules, rule_by_code

    found = rule_by_code(rule)
    if found is None:
        known = ", ".join(r.code for r in all_rules())
        raise FkauditError(f"unknown rule {rule!r} (known rules: {known})")
    click.echo(f"{found.code} {found.name} (default severity: {found.default_severity.label})\n")
    click.echo(found.documentation())
