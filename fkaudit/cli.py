"""The `fkaudit` command line: its commands and options, nothing else.

Each command turns its options into typed values (`fkaudit.settings`) and calls the run it
names in `fkaudit.run`; `fkaudit.process` turns failures into one line and an exit code.
Heavy modules (psycopg, the rules) are imported inside the commands so that `fkaudit --help`
stays fast.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fkaudit import __version__
from fkaudit.orphans import MODES
from fkaudit.process import MainGroup, handle_errors, handle_errors_offline, run_and_exit
from fkaudit.reporters import FORMATS

if TYPE_CHECKING:
    from fkaudit.settings import ReportOptions, ReviewOptions, RunOptions, TargetOptions

# A command callback. The option groups below change its parameters (they hand it one typed
# value for many options), so they are typed by this, not by a TypeVar.
Command = Callable[..., Any]

SEVERITIES = ("error", "warning", "info")
# The stdout formats `--statistics` has a form for: text (table, concise) and JSON.
STATISTICS_FORMATS = ("table", "concise", "json")
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


# Shared by `check`/`demo` (through report_options) and `fix`.
EXIT_ZERO = click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even with findings at or above --fail-on; a run that could not complete "
    "(a check that could not run, an error) still exits 2.",
)


def _decorated(func: Command, decorators: Sequence[Callable[[Command], Command]]) -> Command:
    """`func` under `decorators`, the first outermost (as if stacked in that order)."""
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _selectors(flag: str, given: tuple[str, ...]) -> tuple[str, ...]:
    """The rule selectors of a repeatable, comma-separated option, each known to pick a rule:
    a typo is a usage error before anything starts (a throwaway server takes seconds)."""
    from fkaudit.rules import all_rules
    from fkaudit.selectors import is_known, split, unknown_rule

    selectors = tuple(split(given))
    rules = all_rules() if selectors else []
    for selector in selectors:
        if not is_known(selector, rules):
            raise click.UsageError(f"{flag}: {unknown_rule(selector, rules)}")
    return selectors


def audit_options(func: Command) -> Command:
    """Options shared by every command that audits a database, passed on as `run: RunOptions`."""

    @wraps(func)
    def collect(
        *args: Any,
        config_file: Path | None,
        select: tuple[str, ...],
        ignore: tuple[str, ...],
        extend_select: tuple[str, ...],
        extend_ignore: tuple[str, ...],
        fail_on: str | None,
        schemas: tuple[str, ...],
        exclude_schemas: tuple[str, ...],
        tables: tuple[str, ...],
        exclude_tables: tuple[str, ...],
        statement_timeout: int,
        lock_timeout: int,
        orphans: str,
        samples: int,
        jobs: int,
        sample_percent: float | None,
        allow_incomplete: bool,
        **rest: Any,
    ) -> Any:
        from fkaudit.findings import Severity
        from fkaudit.settings import RunOptions

        run = RunOptions(
            config_file=config_file,
            select=_selectors("--select", select),
            ignore=_selectors("--ignore", ignore),
            extend_select=_selectors("--extend-select", extend_select),
            extend_ignore=_selectors("--extend-ignore", extend_ignore),
            fail_on=Severity.parse(fail_on) if fail_on else None,
            schemas=schemas,
            exclude_schemas=exclude_schemas,
            tables=tables,
            exclude_tables=exclude_tables,
            statement_timeout_s=statement_timeout,
            lock_timeout_s=lock_timeout,
            orphans=orphans,
            samples=samples,
            jobs=jobs,
            sample_percent=sample_percent,
            allow_incomplete=allow_incomplete,
        )
        return func(*args, run=run, **rest)

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
            help="Only these rules: codes, prefixes (FK1) or names; repeatable. Replaces "
            "the configuration's select.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="CODES",
            help="Skip these rules: codes, prefixes or names; repeatable. Replaces the "
            "configuration's ignore.",
        ),
        click.option(
            "--extend-select",
            multiple=True,
            metavar="CODES",
            help="Also run these rules, on top of the configuration's (or --select's) "
            "choice, even if ignored there; repeatable.",
        ),
        click.option(
            "--extend-ignore",
            multiple=True,
            metavar="CODES",
            help="Also skip these rules, on top of the configuration's (or --ignore's); "
            "repeatable.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            help="Exit 1 when a finding has this severity or a higher one "
            "[default: warning, or the configuration's fail-on].",
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
    return _decorated(collect, decorators)


def report_options(func: Command) -> Command:
    """Options of the commands that print a report (its format, a file, a baseline), passed on
    as `report: ReportOptions` once their combination is known to work."""

    @wraps(func)
    def collect(
        *args: Any,
        fmt: str,
        output: Path | None,
        sarif_artifact: str | None,
        show_suppressed: bool,
        baseline_file: Path | None,
        update_baseline: bool,
        quiet: bool,
        statistics: bool,
        exit_zero: bool,
        color: str,
        **rest: Any,
    ) -> Any:
        from fkaudit.settings import ReportOptions

        if update_baseline and baseline_file is None:
            raise click.UsageError("--update-baseline needs --baseline FILE")
        shown = "table" if output is not None else fmt
        if statistics and shown not in STATISTICS_FORMATS:
            raise click.UsageError(
                f"--statistics prints counts as text or JSON, not as {fmt}: use --format "
                f"table, concise or json (or --output FILE for the {fmt} report)"
            )
        if fmt == "github" and output is not None:
            raise click.UsageError(
                "--format github writes workflow commands, which act only on stdout: "
                "drop --output (a file for machines: --format sarif or junit)"
            )
        report = ReportOptions(
            fmt=fmt,
            output=output,
            sarif_artifact=sarif_artifact,
            show_suppressed=show_suppressed,
            baseline=baseline_file,
            update_baseline=update_baseline,
            quiet=quiet,
            statistics=statistics,
            exit_zero=exit_zero,
            color=color,
        )
        return func(*args, report=report, **rest)

    decorators = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="Output format: table, concise (a line per finding: path:line:col: "
            "CODE message), json, sarif (code scanning), junit (CI test reports), github "
            "(annotations and job summary), markdown (PR comments), gitlab (GitLab Code "
            "Quality).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="Print the findings only: no closing summary, no notes on stderr (errors "
            "are still printed).",
        ),
        click.option(
            "--statistics",
            is_flag=True,
            help="Print the number of findings per rule instead of the findings (text, "
            "or JSON with --format json).",
        ),
        EXIT_ZERO,
        click.option(
            "--show-suppressed",
            is_flag=True,
            help="Also list the findings suppressed by fkaudit:ignore comments.",
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
            help="The repository file SARIF results, GitHub annotations and concise lines "
            "point at (default: the --schema-file, or the migration that defines the "
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
        click.option(
            "--color",
            type=click.Choice(("auto", "always", "never")),
            default="auto",
            show_default=True,
            help="Colour the table by severity: auto (on a terminal, unless NO_COLOR is "
            "set), always, never. Other formats and --output files are never coloured.",
        ),
    ]
    return _decorated(collect, decorators)


def target_options(func: Command) -> Command:
    """Options that audit SQL files on a throwaway server instead of a running database, passed
    on as `target: TargetOptions` once they are known not to contradict the DSN argument."""

    @wraps(func)
    def collect(
        *args: Any,
        dsn: str | None,
        schema_file: Path | None,
        migrations: Path | None,
        pg_bindir: Path | None,
        **rest: Any,
    ) -> Any:
        from fkaudit.settings import TargetOptions

        if schema_file is None and migrations is None and pg_bindir is not None:
            raise click.UsageError("--pg-bindir needs --schema-file or --migrations")
        if (schema_file or migrations) and (dsn is not None or (schema_file and migrations)):
            raise click.UsageError("give one of DSN, --schema-file and --migrations")
        target = TargetOptions(schema_file=schema_file, migrations=migrations, pg_bindir=pg_bindir)
        return func(*args, dsn=dsn, target=target, **rest)

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
    return _decorated(collect, decorators)


def review_options(func: Command) -> Command:
    """Options that review new migrations instead of auditing the whole folder, passed on as
    `review: ReviewOptions | None` (`fkaudit.changes`)."""

    @wraps(func)
    def collect(
        *args: Any,
        target: TargetOptions,
        new_since: str | None,
        base_ref: str | None,
        transaction: str,
        sizes_from: str | None,
        **rest: Any,
    ) -> Any:
        from click.core import ParameterSource

        from fkaudit.settings import ReviewOptions

        # $FKAUDIT_SIZES_FROM keeps a production DSN off the command line (the GitHub action
        # passes it so); set in an environment that also runs plain audits, it is not an error
        # there, only the option is.
        given = click.get_current_context().get_parameter_source("sizes_from")
        explicit = given is ParameterSource.COMMANDLINE
        if new_since is None and base_ref is None:
            if transaction != "auto":
                raise click.UsageError("--transaction needs --new-since or --base-ref")
            if sizes_from is not None and explicit:
                raise click.UsageError("--sizes-from needs --new-since or --base-ref")
            return func(*args, target=target, review=None, **rest)
        if new_since is not None and base_ref is not None:
            raise click.UsageError("give one of --new-since and --base-ref")
        if target.migrations is None:
            raise click.UsageError("--new-since and --base-ref need --migrations DIR")
        if sizes_from is not None and not sizes_from.strip():
            # libpq would read "" as "the PG* variables": never a database nobody named.
            raise click.UsageError("--sizes-from: empty connection string")
        review = ReviewOptions(
            target.migrations,
            new_since,
            base_ref,
            transaction,
            target.pg_bindir,
            sizes_from or None,
        )
        return func(*args, target=target, review=review, **rest)

    decorators = [
        click.option(
            "--new-since",
            metavar="FILE",
            help="Review the migrations of --migrations DIR from FILE on (in the folder's "
            "order): the ones before it are the base. Reports what the new ones do to the "
            "foreign keys (FK7xx) and the problems they add, not the base's.",
        ),
        click.option(
            "--base-ref",
            metavar="REF",
            help="As --new-since, the new migrations being the files of DIR that git "
            "revision REF (the pull request's target branch) does not have.",
        ),
        click.option(
            "--transaction",
            type=click.Choice(["auto", "file", "statement"]),
            default="auto",
            show_default=True,
            help="How the new migrations run: as their tool runs them (auto), each file in "
            "one transaction, or each statement in its own.",
        ),
        click.option(
            "--sizes-from",
            metavar="DSN",
            envvar="FKAUDIT_SIZES_FROM",
            show_envvar=True,
            help="The live database the migrations are for: FK701-FK703 say how many rows "
            "and bytes of each table are read while writes wait (reltuples, "
            "pg_relation_size; read-only, time-bounded), largest first.",
        ),
    ]
    return _decorated(collect, decorators)


def run() -> None:
    """The `fkaudit` console entry point."""
    run_and_exit(main)


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fkaudit")
def main() -> None:
    """Lint and audit the foreign keys of a PostgreSQL database.

    Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 the run could not
    be completed (usage, connection, permission or internal error).
    """


@main.command()
@click.argument("dsn", required=False)
@target_options
@review_options
@audit_options
@report_options
@handle_errors
def check(
    dsn: str | None,
    target: TargetOptions,
    review: ReviewOptions | None,
    run: RunOptions,
    report: ReportOptions,
) -> None:
    """Audit the database at DSN (a libpq URI or key=value string), or SQL files.

    Without DSN, $DATABASE_URL is used, else the PG* environment variables (PGHOST, PGUSER,
    PGDATABASE, PGPASSWORD, ...). Each transaction is read-only and time-bounded, and
    nothing outlives it on the connection (safe behind pgbouncer in transaction mode). With
    --schema-file or --migrations, the SQL is applied to a throwaway PostgreSQL and audited
    there; an error in it is reported as FILE:LINE and exits 2.
    """
    from fkaudit.run import open_target, report_audit, report_review

    if review is not None:
        sys.exit(report_review(review, run, report))
    with open_target(dsn, target) as opened:
        code = report_audit(opened, run, report)
    sys.exit(code)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dsn", required=False)
@target_options
@audit_options
@handle_errors
def baseline(file: Path, dsn: str | None, target: TargetOptions, run: RunOptions) -> None:
    """Record the current findings in FILE, so that `check --baseline FILE` fails on new ones.

    FILE lists one fingerprint per finding (rule and object, never counts), sorted, to be
    committed. Entries of rules or tables this run does not look at (--select, --table) are
    kept. The audit is that of `check`; the exit code is 0 once FILE is written.
    """
    from fkaudit.run import open_target, record_baseline

    with open_target(dsn, target) as opened:
        record_baseline(file, opened, run)


@main.command()
@click.option(
    "--pg-bindir",
    type=click.Path(file_okay=False, path_type=Path),
    help="PostgreSQL bin directory (12-18) instead of the embedded server.",
)
@audit_options
@report_options
@handle_errors
def demo(pg_bindir: Path | None, run: RunOptions, report: ReportOptions) -> None:
    """Start a throwaway PostgreSQL, load an example shop schema and audit it."""
    from fkaudit.run import demo_target, report_audit

    with demo_target(pg_bindir, quiet=report.quiet) as opened:
        code = report_audit(opened, run, report)
    if not report.quiet:
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
@EXIT_ZERO
@handle_errors
def fix(dsn: str | None, target: TargetOptions, run: RunOptions, exit_zero: bool) -> None:
    """Print a SQL migration that fixes what can be fixed mechanically.

    Audits DSN like `check` and writes to stdout: CREATE INDEX CONCURRENTLY for unindexed
    foreign keys, VALIDATE CONSTRAINT, ENABLE TRIGGER, DROP CONSTRAINT for exact duplicates and
    RENAME CONSTRAINT to the naming convention, each under a comment naming its finding.
    Changes that need a decision (SET NOT NULL, actions, types) follow as commented-out
    suggestions. Nothing is executed: review the script, then run it with psql. Exit codes
    are those of `check` (1 when findings at or above --fail-on remain to be fixed).
    """
    from fkaudit.run import open_target, print_migration

    with open_target(dsn, target) as opened:
        code = print_migration(opened, run, exit_zero=exit_zero)
    sys.exit(code)


@main.command("rules")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Configuration file (default: searched upward from here).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="table for people; json: an array with an object per rule, for scripts.",
)
@handle_errors_offline
def list_rules(config_file: Path | None, fmt: str) -> None:
    """List the rules with their effective configuration.

    For each rule: code, name, whether it runs by default with this configuration, its
    severity (configured or default) and its options, then a one-line summary.
    """
    from fkaudit.rule_listing import rules_json, rules_table

    click.echo(rules_json(config_file) if fmt == "json" else rules_table(config_file))


@main.command()
@click.argument("rule")
@handle_errors_offline
def explain(rule: str) -> None:
    """Print the full documentation of RULE (a code such as FK101, or its name)."""
    from fkaudit.rule_listing import explanation

    click.echo(explanation(rule))
