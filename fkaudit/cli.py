"""The `fkaudit` command: a thin click layer over the public API.

Heavy modules (psycopg, the rules) are imported inside the commands so that `fkaudit --help`
stays fast. Every failure a user can cause ends as one line on stderr and exit code 2; a
traceback is shown only with FKAUDIT_DEBUG=1.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from fkaudit import __version__
from fkaudit.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    FkauditError,
)
from fkaudit.escape import printable
from fkaudit.orphans import MODES
from fkaudit.reporters import FORMATS

if TYPE_CHECKING:
    from fkaudit.catalog.scope import Scope
    from fkaudit.config import Config
    from fkaudit.findings import Severity
    from fkaudit.report import BaselineEntry, Report
    from fkaudit.reporters import RenderOptions

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = ("error", "warning", "info")
# PostgreSQL's timeouts are int milliseconds: larger values are refused by the server.
MAX_TIMEOUT_S = 2_147_483
# Orphan keys shown per foreign key: a LIMIT; beyond bigint it is a server error per scan.
MAX_SAMPLES = 10_000


class _Percent(click.FloatRange):
    """A page-sample size: 0 < PERCENT <= 100. FloatRange lets NaN through (every comparison
    with NaN is false), and TABLESAMPLE would then fail on the server for each scan."""

    name = "percent"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number in the range 0<x<=100.", param, ctx)
        return number


PERCENT = _Percent(0, 100, min_open=True)


class _NeverRaised(Exception):
    pass


# click 8.2+ shows the help for a bare group through this UsageError (older ones exit 0).
_NO_ARGS_IS_HELP: type[Exception] = getattr(click.exceptions, "NoArgsIsHelpError", _NeverRaised)


@contextmanager
def _usage_errors_on_one_line() -> Iterator[None]:
    """Every usage error as one line on stderr and exit 2, like every other error.

    click prints a usage line, a hint and a blank line before the message; in a CI log the
    message is then the fourth line of four. Unknown commands and options, missing arguments,
    out-of-range values and the UsageErrors the commands raise all pass through here.
    """
    try:
        yield
    except _NO_ARGS_IS_HELP:
        raise  # plain `fkaudit`: the help text, as click shows it
    except click.ClickException as exc:
        message = " ".join(exc.format_message().split())
        ctx = getattr(exc, "ctx", None)
        where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        click.echo(f"fkaudit: error: {printable(message)}{where}", err=True)
        sys.exit(EXIT_ERROR)


class _Main(click.Group):
    """The `fkaudit` group: parsing and running its commands with one-line usage errors."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _usage_errors_on_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_errors_on_one_line():
            return super().invoke(ctx)


def _fail(message: str) -> NoReturn:
    click.echo(f"fkaudit: error: {printable(message)}", err=True)
    sys.exit(EXIT_ERROR)


def handle_errors(func: F) -> F:
    """Turn every failure into one line and an exit code; never a traceback or a password."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _route_psycopg_log()
        try:
            with sigterm_as_exit():
                return func(*args, **kwargs)
        except click.ClickException:
            raise  # usage errors: printed on one line by the group (_Main), exit code 2
        except FkauditError as exc:
            _fail(str(exc))
        except Terminated:
            click.echo("fkaudit: terminated", err=True)
            sys.exit(EXIT_TERMINATED)
        except KeyboardInterrupt:
            click.echo("fkaudit: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if os.environ.get("FKAUDIT_DEBUG"):
                raise
            _fail(_describe_unexpected(exc))

    return wrapper  # type: ignore[return-value]


def _describe_unexpected(exc: Exception) -> str:
    """One line for a database or internal error (their texts never hold a password)."""
    import psycopg

    from fkaudit.errors import one_line

    text = one_line(exc)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"permission denied while reading the catalog: {text}"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return f"the server cancelled a catalog query (statement timeout): {text}"
    if isinstance(exc, psycopg.Error):
        return f"database error: {text}"
    return f"internal error: {type(exc).__name__}: {text} (set FKAUDIT_DEBUG=1 for a traceback)"


class _PsycopgLog(logging.Handler):
    """psycopg's warnings as fkaudit's one-line messages.

    When the server ends a session mid-transaction (a recovery conflict on a hot standby, an
    administrator's pg_terminate_backend), psycopg's rollback on leaving the transaction fails
    and it logs "error ignored in rollback" with the server's message, DETAIL and HINT on lines
    of their own, beside the one-line error fkaudit reports for the same failure. Those records
    are dropped; any other warning is printed on one line.
    """

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("error ignored in rollback"):
            return
        text = "; ".join(part.strip() for part in message.splitlines() if part.strip())
        click.echo(f"fkaudit: warning: {printable(text)}", err=True)


def _route_psycopg_log() -> None:
    logger = logging.getLogger("psycopg")
    if not any(isinstance(h, _PsycopgLog) for h in logger.handlers):
        logger.addHandler(_PsycopgLog(logging.WARNING))
        logger.propagate = False  # else logging's last-resort handler prints it raw


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same code cancels the server's queries.

    A KeyboardInterrupt is what psycopg answers by cancelling the running query (the catalog
    read) and what the orphan scan answers by cancelling every worker's query; without it,
    SIGTERM would kill the process and leave its queries running on the server.
    """


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind the stack like Ctrl-C (as `Terminated`), so context managers clean
    up: queries are cancelled, connections closed, throwaway servers stopped."""

    def on_term(signum: int, frame: Any) -> None:
        raise Terminated

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


def _decorated(func: F, decorators: Sequence[Callable[[F], F]]) -> F:
    """`func` under `decorators`, the first outermost (as if stacked in that order)."""
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def audit_options(func: F) -> F:
    """Options shared by every command that audits a database."""
    decorators = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path),
            help="Configuration file (default: fkaudit.toml, .fkaudit.toml or "
            "pyproject.toml [tool.fkaudit], searched upward from here).",
        ),
        click.option(
            "--select",
            multiple=True,
            metavar="CODES",
            help="Only these rules: codes, prefixes (FK1) or names; repeatable.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="CODES",
            help="Skip these rules: codes, prefixes or names; repeatable.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            help="Exit 1 when a finding has this severity or a higher one "
            "[default: warning, or the configuration's fail-on].",
        ),
        click.option(
            "--show-suppressed",
            is_flag=True,
            help="Also list the findings suppressed by fkaudit:ignore comments.",
        ),
        click.option(
            "--schema",
            "schemas",
            multiple=True,
            metavar="GLOB",
            help="Only tables in matching schemas; repeatable.",
        ),
        click.option(
            "--exclude-schema",
            "exclude_schemas",
            multiple=True,
            metavar="GLOB",
            help="Skip matching schemas; repeatable.",
        ),
        click.option(
            "--table",
            "tables",
            multiple=True,
            metavar="GLOB",
            help="Only matching tables (`name` or `schema.name`); repeatable.",
        ),
        click.option(
            "--exclude-table",
            "exclude_tables",
            multiple=True,
            metavar="GLOB",
            help="Skip matching tables; repeatable.",
        ),
        click.option(
            "--statement-timeout",
            type=click.IntRange(1, MAX_TIMEOUT_S),
            default=60,
            show_default=True,
            metavar="SECONDS",
            help="Server-side limit for each query fkaudit runs (each orphan scan).",
        ),
        click.option(
            "--lock-timeout",
            type=click.IntRange(1, MAX_TIMEOUT_S),
            default=1,
            show_default=True,
            metavar="SECONDS",
            help="How long a query waits for a lock (held by a migration, say) before it gives up.",
        ),
        click.option(
            "--orphans",
            type=click.Choice(MODES),
            default="suspect",
            show_default=True,
            help="Which foreign keys FK501 scans for orphaned rows: those that may "
            "have them (NOT VALID, NOT ENFORCED, triggers disabled), all, or none.",
        ),
        click.option(
            "--samples",
            type=click.IntRange(0, MAX_SAMPLES),
            default=5,
            show_default=True,
            metavar="N",
            help="Orphan keys shown per foreign key.",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(min=1),
            default=2,
            show_default=True,
            metavar="N",
            help="Orphan scans run at once, on separate connections.",
        ),
        click.option(
            "--sample",
            "sample_percent",
            type=PERCENT,
            metavar="PERCENT",
            help="Scan a PERCENT page sample of referencing tables of 100,000 rows "
            "or more; their orphan counts become estimates.",
        ),
        click.option(
            "--allow-incomplete",
            is_flag=True,
            help="Exit by the findings even when a check could not run (an orphan "
            "scan or a lookup timed out, was refused a privilege or a lock); "
            "each is still reported, as a warning.",
        ),
    ]
    return _decorated(func, decorators)


def report_options(func: F) -> F:
    """Options of the commands that print a report: its format, a file, a baseline."""
    decorators = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="Output format: table, json, sarif (code scanning), junit (CI test "
            "reports), github (annotations and job summary), markdown (PR "
            "comments).",
        ),
        click.option(
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Write the --format report to FILE and print the table on stdout.",
        ),
        click.option(
            "--sarif-artifact",
            metavar="PATH",
            help="The repository file SARIF results and GitHub annotations point at "
            "(default: the --schema-file, or the migration that defines the "
            "object).",
        ),
        click.option(
            "--baseline",
            "baseline_file",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Fail only on findings not in this baseline (`fkaudit baseline`); "
            "list fixed entries as stale.",
        ),
        click.option(
            "--update-baseline",
            is_flag=True,
            help="Rewrite the --baseline file with the current findings.",
        ),
    ]
    return _decorated(func, decorators)


def target_options(func: F) -> F:
    """Options that audit SQL files on a throwaway server instead of a running database."""
    decorators = [
        click.option(
            "--schema-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Audit this SQL file (pg_dump --schema-only, structure.sql) applied "
            "to a throwaway PostgreSQL instead of a database.",
        ),
        click.option(
            "--migrations",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            metavar="DIR",
            help="Audit the .sql files of DIR (and its subfolders) applied in name "
            "order to a throwaway PostgreSQL; down migrations are skipped.",
        ),
        click.option(
            "--pg-bindir",
            type=click.Path(file_okay=False, path_type=Path),
            help="PostgreSQL bin directory (12-18) for the throwaway server, "
            "instead of the embedded one.",
        ),
    ]
    return _decorated(func, decorators)


@dataclass(frozen=True)
class Target:
    """What to audit: a DSN, and the SQL files it was loaded from (schema-file mode)."""

    dsn: str | None
    files: tuple[Path, ...] = ()
    label: str | None = None  # shown instead of the database name


@contextmanager
def _target(dsn: str | None, options: dict[str, Any]) -> Iterator[Target]:
    """The database named by DSN, or a throwaway one loaded from --schema-file/--migrations."""
    schema_file, migrations = options.pop("schema_file"), options.pop("migrations")
    bindir = options.pop("pg_bindir")
    if schema_file is None and migrations is None:
        if bindir is not None:
            raise click.UsageError("--pg-bindir needs --schema-file or --migrations")
        yield Target(dsn)
        return
    if dsn is not None or (schema_file and migrations):
        raise click.UsageError("give one of DSN, --schema-file and --migrations")
    from fkaudit.schemafile import loaded_database, migration_files

    files = (schema_file,) if schema_file else migration_files(migrations)
    with sigterm_as_exit(), loaded_database(files, bindir) as loaded:
        yield Target(loaded, files, str(schema_file or migrations))


@dataclass(frozen=True)
class Audited:
    """An audit and what judging it needs: the fail level, the configuration, the scope."""

    report: Report
    fail_on: Severity
    config: Config
    scope: Scope


def _audit(target: Target, options: dict[str, Any]) -> Audited:
    """Audit `target` with the configuration file and the command-line options over it."""
    from dataclasses import replace

    from fkaudit.config import load_config
    from fkaudit.findings import Severity

    config = load_config(options["config_file"])
    bars: list[Any] = []

    def progress(catalog: Any, fks: list[Any]) -> Any:
        from fkaudit.orphans.progress import ScanProgress

        bars.append(ScanProgress(catalog, fks, sys.stderr))
        return bars[-1]

    scope = _scope(options, config)
    try:
        report = _audit_with(
            target.dsn, scope, options, config, progress if sys.stderr.isatty() else None
        )
    finally:
        for bar in bars:
            bar.close()
    for error in report.errors:
        click.echo(f"fkaudit: error: {printable(error.message)}", err=True)
    for error in report.incomplete:
        click.echo(f"fkaudit: warning: {printable(error.message)}", err=True)
    fail_on = (
        Severity.parse(options["fail_on"]) if options["fail_on"] else config.fail_on
    ) or Severity.WARNING
    if target.label:
        report = replace(report, database=target.label)
    return Audited(report, fail_on, config, scope)


def _scope(options: dict[str, Any], config: Config) -> Scope:
    from fkaudit.catalog.scope import Scope

    return Scope(
        schemas=tuple(options["schemas"]) or config.schemas,
        exclude_schemas=tuple(options["exclude_schemas"]) or config.exclude_schemas,
        tables=tuple(options["tables"]),
        exclude_tables=tuple(options["exclude_tables"]),
    )


def _audit_with(
    dsn: str | None, scope: Scope, options: dict[str, Any], config: Config, progress: Any
) -> Report:
    """`audit()` with the command-line options over the configuration file."""
    from fkaudit.api import audit
    from fkaudit.connection import SessionLimits

    return audit(
        dsn,
        select=_split(options["select"]),
        ignore=_split(options["ignore"]),
        scope=scope,
        limits=SessionLimits(
            statement_timeout_ms=options["statement_timeout"] * 1000,
            lock_timeout_ms=options["lock_timeout"] * 1000,
        ),
        config=config,
        orphans=options["orphans"],
        samples=options["samples"],
        jobs=options["jobs"],
        allow_incomplete=options["allow_incomplete"],
        progress=progress,
        sample_percent=options["sample_percent"],
    )


def _run_audit(target: Target, options: dict[str, Any]) -> int:
    """Audit `target`, apply the baseline, write the report(s), return the exit code."""
    from fkaudit.reporters import renderer

    with paused_gc():
        audited = _audit(target, options)
        report = _with_baseline(audited, options)
        render_options = _render_options(report, target, options, audited.fail_on)
        output = renderer(options["fmt"])(report, render_options)
        if options["output"] is not None:
            _write(options["output"], output)
            if options["fmt"] != "table":
                output = renderer("table")(report, render_options)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if options["fmt"] == "github" and summary_file:
            _write(
                Path(summary_file), renderer("markdown")(report, render_options) + "\n", append=True
            )
    click.echo(output)
    _outlive_the_command(report)
    return report.exit_code(audited.fail_on)


def _refuse_incomplete(report: Report, action: str) -> None:
    """A baseline written from a partial audit would drop entries of what was not checked."""
    if report.errors or report.incomplete:
        raise FkauditError(
            f"{action}: the audit did not complete "
            f"({len(report.errors) + len(report.incomplete)} check(s) failed)"
        )


def _check_report_options(options: dict[str, Any]) -> None:
    """Reject combinations that cannot work, before a throwaway server is started."""
    if options["update_baseline"] and options["baseline_file"] is None:
        raise click.UsageError("--update-baseline needs --baseline FILE")
    if options["fmt"] == "github" and options["output"] is not None:
        raise click.UsageError(
            "--format github writes workflow commands, which act only on stdout: "
            "drop --output (a file for machines: --format sarif or junit)"
        )


def _write(path: Path, text: str, *, append: bool = False) -> None:
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise FkauditError(f"cannot write {path}: {exc.strerror}") from None


def _with_baseline(audited: Audited, options: dict[str, Any]) -> Report:
    """The report judged against --baseline; with --update-baseline, rewrite it first."""
    path = options["baseline_file"]
    if path is None:
        return audited.report
    from fkaudit.baseline import compare, judge, load_baseline

    if options["update_baseline"]:
        old, entries = _rewrite_baseline(path, audited, options, "updating")
        click.echo(
            f"fkaudit: updated {path}: {len(entries)} entries "
            f"({len(set(entries) - set(old))} added, {len(set(old) - set(entries))} "
            "removed)",
            err=True,
        )
    else:
        entries = load_baseline(path)
    judged = judge(audited.report, audited.scope, audited.config, options["orphans"])
    return compare(audited.report, entries, judged)


def _rewrite_baseline(
    path: Path, audited: Audited, options: dict[str, Any], verb: str
) -> tuple[tuple[BaselineEntry, ...], tuple[BaselineEntry, ...]]:
    """Write this audit's findings to the baseline at `path`, keeping the entries it could not
    judge; (old entries, new entries). Refused for an incomplete audit."""
    from fkaudit.baseline import judge, load_baseline, updated, write_baseline

    _refuse_incomplete(audited.report, f"not {verb} {path}")
    old = load_baseline(path) if path.exists() else ()
    judged = judge(audited.report, audited.scope, audited.config, options["orphans"])
    entries = updated(old, audited.report, judged)
    write_baseline(path, entries)
    return old, entries


def _render_options(
    report: Report, target: Target, options: dict[str, Any], fail_on: Severity
) -> RenderOptions:
    """Where results point: --sarif-artifact, else the definitions found in the SQL files."""
    from fkaudit.locate import display_path, locate_all
    from fkaudit.reporters import RenderOptions

    artifact = options["sarif_artifact"]
    # Lines come from the artifact itself when one is named, else from the SQL files loaded.
    files = (Path(artifact),) if artifact is not None else target.files
    if artifact is not None:
        artifact = display_path(Path(artifact))
    locations = {}
    if files and options["fmt"] in ("sarif", "github"):
        everything = (*report.findings, *report.baselined, *report.suppressed)
        locations = locate_all(everything, files)
    if artifact is None and files:
        artifact = display_path(files[0])
    elif artifact is None and options["fmt"] == "sarif":
        click.echo(
            "fkaudit: note: no --sarif-artifact: SARIF results point at a path named "
            f"after the database ({report.database})",
            err=True,
        )
    return RenderOptions(
        show_suppressed=options["show_suppressed"],
        fail_on=fail_on,
        artifact=artifact,
        locations=locations,
    )


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


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fkaudit")
def main() -> None:
    """Lint and audit the foreign keys of a PostgreSQL database.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 the run could not
    be completed (usage, connection, permission or internal error).
    """


@main.command()
@click.argument("dsn", required=False)
@target_options
@audit_options
@report_options
@handle_errors
def check(dsn: str | None, **options: Any) -> None:
    """Audit the database at DSN (a libpq URI or key=value string), or SQL files.

    Without DSN, $DATABASE_URL is used, else the PG* environment variables (PGHOST, PGUSER,
    PGDATABASE, PGPASSWORD, ...). Each transaction is read-only and time-bounded, and
    nothing outlives it on the connection (safe behind pgbouncer in transaction mode). With
    --schema-file or --migrations, the SQL is applied to a throwaway PostgreSQL and audited
    there; an error in it is reported as FILE:LINE and exits 2.
    """
    _check_report_options(options)
    with _target(dsn, options) as target:
        code = _run_audit(target, options)
    sys.exit(code)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dsn", required=False)
@target_options
@audit_options
@handle_errors
def baseline(file: Path, dsn: str | None, **options: Any) -> None:
    """Record the current findings in FILE, so that `check --baseline FILE` fails on new ones.

    FILE lists one fingerprint per finding (rule and object, never counts), sorted, to be
    committed. Entries of rules or tables this run does not look at (--select, --table) are
    kept. The audit is that of `check`; the exit code is 0 once FILE is written.
    """
    with _target(dsn, options) as target, paused_gc():
        audited = _audit(target, options)
    _, entries = _rewrite_baseline(file, audited, options, "writing")
    click.echo(f"fkaudit: wrote {len(entries)} baseline entries to {file}", err=True)


@main.command()
@click.option(
    "--pg-bindir",
    type=click.Path(file_okay=False, path_type=Path),
    help="PostgreSQL bin directory (12-18) instead of the embedded server.",
)
@audit_options
@report_options
@handle_errors
def demo(pg_bindir: Path | None, **options: Any) -> None:
    """Start a throwaway PostgreSQL, load an example shop schema and audit it."""
    from importlib.resources import files

    import psycopg

    from fkaudit.server import ThrowawayServer

    _check_report_options(options)
    schema = files("fkaudit.demo").joinpath("shop.sql").read_text(encoding="utf-8")
    with sigterm_as_exit(), ThrowawayServer(pg_bindir) as server:
        click.echo(
            f"Started a throwaway PostgreSQL {server.major_version()}; "
            "loading the example shop schema...",
            err=True,
        )
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(schema)  # a trusted, bundled file
        code = _run_audit(Target(server.dsn()), options)
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
@target_options
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

    with _target(dsn, options) as target, paused_gc():
        audited = _audit(target, options)
        migration = render_migration(audited.report)
    click.echo(migration, nl=False)
    _outlive_the_command(audited.report)
    sys.exit(audited.report.exit_code(audited.fail_on))


@main.command("rules")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Configuration file (default: searched upward from here).",
)
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
        rows.append(
            [
                rule.code,
                rule.name,
                "yes" if rule.code in enabled else "no",
                (settings.severity or rule.default_severity).label,
                ", ".join(f"{k}={v!r}" for k, v in options.items()),
                rule.summary(),
            ]
        )
    source = f"configuration: {config.path}" if config.path else "no configuration file found"
    click.echo(source)
    click.echo(
        tabulate(
            rows,
            headers=["code", "name", "enabled", "severity", "options", "summary"],
            tablefmt="simple",
        )
    )


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
