"""The runs the commands perform: open the target, audit it, judge it by a baseline, report.

The command line, `fkaudit.testing` and `fkaudit.audit()` share the decisions of
`fkaudit.settings`; this module adds what a run of the tool needs around an audit: a throwaway
server for SQL files, the progress display, the baseline workflow, and handing the results to
`fkaudit.delivery`. `fkaudit.cli` only declares commands and options and calls these.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from fkaudit.baseline import apply_baseline, judge, load_baseline, updated, write_baseline
from fkaudit.config import load_config
from fkaudit.delivery import announce_problems, deliver
from fkaudit.errors import EXIT_CLEAN, EXIT_FINDINGS, FkauditError
from fkaudit.findings import Severity
from fkaudit.process import outlive_the_command, paused_gc
from fkaudit.report import BaselineEntry, Report
from fkaudit.settings import ReportOptions, Resolved, RunOptions, TargetOptions


@dataclass(frozen=True)
class Target:
    """What to audit: a DSN, and the SQL files it was loaded from (schema-file mode)."""

    dsn: str | None
    files: tuple[Path, ...] = ()
    label: str | None = None  # shown instead of the database name


@contextmanager
def open_target(dsn: str | None, options: TargetOptions) -> Iterator[Target]:
    """The database named by `dsn`, or a throwaway one loaded from the options' SQL files.

    The caller has checked that at most one of them is given."""
    if options.schema_file is None and options.migrations is None:
        yield Target(dsn)
        return
    from fkaudit.schemafile import loaded_database, migration_files

    if options.schema_file is not None:
        files: tuple[Path, ...] = (options.schema_file,)
        label = str(options.schema_file)
    else:
        assert options.migrations is not None
        files, label = tuple(migration_files(options.migrations)), str(options.migrations)

    def announce(note: str) -> None:
        click.echo(f"fkaudit: {note}", err=True)

    with loaded_database(files, options.pg_bindir, label, announce) as loaded:
        yield Target(loaded, files, label)


@dataclass(frozen=True)
class Audited:
    """An audit and what judging it needs: the effective settings and the orphan mode."""

    report: Report
    settings: Resolved
    orphans: str


def audit_target(target: Target, options: RunOptions, *, quiet: bool = False) -> Audited:
    """Audit `target` with `options` over the configuration file they name (or find).

    On a terminal, orphan scans show a progress line on stderr (not when `quiet`); checks that
    could not run are printed on stderr as they are known, before any report, quiet or not.
    """
    from fkaudit.api import audit
    from fkaudit.connection import SessionLimits

    settings = options.resolve(load_config(options.config_file))
    comments = _ignore_comments(target.files)
    bars: list[Any] = []

    def progress(catalog: Any, fks: list[Any]) -> Any:
        from fkaudit.orphans.progress import ScanProgress

        bars.append(ScanProgress(catalog, fks, sys.stderr))
        return bars[-1]

    try:
        report = audit(
            target.dsn,
            select=settings.select,
            ignore=settings.ignore,
            extend_select=settings.extend_select,
            extend_ignore=settings.extend_ignore,
            scope=settings.scope,
            limits=SessionLimits(
                statement_timeout_ms=options.statement_timeout_s * 1000,
                lock_timeout_ms=options.lock_timeout_s * 1000,
            ),
            config=settings.config,
            orphans=options.orphans,
            samples=options.samples,
            jobs=options.jobs,
            allow_incomplete=options.allow_incomplete,
            progress=progress if sys.stderr.isatty() and not quiet else None,
            sample_percent=options.sample_percent,
            ignore_comments=comments,
        )
    finally:
        for bar in bars:
            bar.close()
    announce_problems(report)
    if target.label:
        report = replace(report, database=target.label)
    return Audited(report, settings, options.orphans)


def _ignore_comments(files: tuple[Path, ...]) -> tuple[Any, ...]:
    """The `-- fkaudit:ignore` comments of the SQL files, attached to what they are on or above;
    one that is attached to nothing is said on stderr (it would silently suppress nothing)."""
    if not files:
        return ()
    from fkaudit.escape import printable
    from fkaudit.sqlsource import read_sources

    sources = read_sources(files)
    for comment in sources.unattached:
        click.echo(
            printable(
                f"fkaudit: warning: {comment.source}: this fkaudit:ignore suppresses nothing: "
                "put it on, or directly above, the line that defines a foreign key "
                "(ADD CONSTRAINT, REFERENCES) or a CREATE TABLE"
            ),
            err=True,
        )
    return sources.attached


def rewrite_baseline(
    path: Path, audited: Audited, verb: str
) -> tuple[tuple[BaselineEntry, ...], tuple[BaselineEntry, ...]]:
    """Write this audit's findings to the baseline at `path`, keeping the entries it could not
    judge; (old entries, new entries). Refused for an incomplete audit, whose missing findings
    would drop the entries of what it did not check."""
    report = audited.report
    if report.errors or report.incomplete:
        raise FkauditError(
            f"not {verb} {path}: the audit did not complete "
            f"({len(report.errors) + len(report.incomplete)} check(s) failed)"
        )
    old = load_baseline(path) if path.exists() else ()
    judged = judge(report, audited.settings.scope, audited.settings.config, audited.orphans)
    entries = updated(old, report, judged)
    write_baseline(path, entries)
    return old, entries


def report_audit(target: Target, options: RunOptions, report_options: ReportOptions) -> int:
    """`fkaudit check`: audit, judge by the baseline (rewritten first with --update-baseline),
    write the report(s); the exit code."""
    with paused_gc():
        audited = audit_target(target, options, quiet=report_options.quiet)
        report = audited.report
        path = report_options.baseline
        if path is not None:
            if report_options.update_baseline:
                old, entries = rewrite_baseline(path, audited, "updating")
                added, removed = len(set(entries) - set(old)), len(set(old) - set(entries))
                if not report_options.quiet:
                    click.echo(
                        f"fkaudit: updated {path}: {len(entries)} entries "
                        f"({added} added, {removed} removed)",
                        err=True,
                    )
            else:
                entries = load_baseline(path)
            report = apply_baseline(report, entries, audited.settings, audited.orphans)
        deliver(report, target.files, report_options, audited.settings.fail_on)
    outlive_the_command(report)
    return exit_code(report, audited.settings.fail_on, exit_zero=report_options.exit_zero)


def report_review(review: Any, options: RunOptions, report_options: ReportOptions) -> int:
    """`fkaudit check --migrations DIR --new-since FILE` (or `--base-ref REF`): review what the
    new migrations do (`fkaudit.changes`), write the report(s); the exit code.

    The base and the result are audited with the run's settings, without orphan progress; the
    report holds what the change introduced. A baseline accepts findings as in any report, but
    lists no stale entry: the base's findings are left out, not fixed. With `--sizes-from`,
    FK701-FK703 say the live tables' sizes and the largest come first (`_told_sizes`).
    """
    from fkaudit.changes.review import review as run_review
    from fkaudit.engine import select_rules
    from fkaudit.schemafile import migration_files

    with paused_gc():
        settings = options.resolve(load_config(options.config_file))
        rules = select_rules(
            settings.select,
            settings.ignore,
            settings.config,
            extend_select=settings.extend_select,
            extend_ignore=settings.extend_ignore,
        )

        def audit(dsn: str) -> Report:
            return audit_target(Target(dsn), options, quiet=True).report

        def announce(note: str) -> None:
            click.echo(f"fkaudit: {note}", err=True)

        with _sizes_session(review, options) as sizes_from:
            report = run_review(review, audit, rules, announce, settings.scope)
            if sizes_from is not None:
                report = _told_sizes(report, sizes_from)
        report = replace(report, database=str(review.directory))
        if report_options.baseline is not None:
            entries = load_baseline(report_options.baseline)
            # A review reports what the change introduced, not the base's findings: an entry
            # it does not find again is not fixed, so none is called stale (a full audit says).
            report = replace(
                apply_baseline(report, entries, settings, options.orphans), stale_baseline=()
            )
        deliver(report, migration_files(review.directory), report_options, settings.fail_on)
    outlive_the_command(report)
    return exit_code(report, settings.fail_on, exit_zero=report_options.exit_zero)


@contextmanager
def _sizes_session(review: Any, options: RunOptions) -> Iterator[Any]:
    """The `--sizes-from` database's connection (read-only, bounded by the run's timeouts), or
    None without the option. Opened before the review, so that a DSN that cannot connect
    fails at once, not after the replay; idle meanwhile."""
    if review.sizes_from is None:
        yield None
        return
    from fkaudit.connection import SessionLimits, connect
    from fkaudit.errors import ConnectionFailed

    limits = SessionLimits(
        statement_timeout_ms=options.statement_timeout_s * 1000,
        lock_timeout_ms=options.lock_timeout_s * 1000,
    )
    try:
        conn = connect(review.sizes_from, limits)
    except ConnectionFailed as exc:
        raise ConnectionFailed(f"--sizes-from: {exc}") from None
    try:
        yield conn
    finally:
        conn.close()


def _told_sizes(report: Report, conn: Any) -> Report:
    """The review's report with the live sizes of the tables FK701-FK703 block, ranked
    (`fkaudit.changes.sizes`)."""
    from fkaudit.changes.sizes import BLOCKING, read_sizes, with_sizes

    tables = {(f.schema, f.table) for f in report.findings if f.code in BLOCKING}
    sizes = read_sizes(conn, tables)
    return replace(report, findings=tuple(with_sizes(report.findings, sizes)))


def exit_code(report: Report, fail_on: Severity, *, exit_zero: bool = False) -> int:
    """The report's exit code; with `exit_zero` (ruff's `--exit-zero`) findings no longer fail
    the run, but one that could not complete still exits 2: a check that did not run must never
    read as a pass."""
    code = report.exit_code(fail_on)
    return EXIT_CLEAN if exit_zero and code == EXIT_FINDINGS else code


def record_baseline(path: Path, target: Target, options: RunOptions) -> None:
    """`fkaudit baseline`: write this audit's findings to the baseline at `path`."""
    with paused_gc():
        audited = audit_target(target, options)
    _, entries = rewrite_baseline(path, audited, "writing")
    click.echo(f"fkaudit: wrote {len(entries)} baseline entries to {path}", err=True)


def print_migration(target: Target, options: RunOptions, *, exit_zero: bool = False) -> int:
    """`fkaudit fix`: the migration script on stdout; the exit code of `check`."""
    from fkaudit.migration import render_migration

    with paused_gc():
        audited = audit_target(target, options)
        migration = render_migration(audited.report)
    click.echo(migration, nl=False)
    outlive_the_command(audited.report)
    return exit_code(audited.report, audited.settings.fail_on, exit_zero=exit_zero)


@contextmanager
def demo_target(pg_bindir: Path | None, *, quiet: bool = False) -> Iterator[Target]:
    """A throwaway server holding the bundled example shop schema."""
    from importlib.resources import files

    import psycopg

    from fkaudit.server import ThrowawayServer

    schema = files("fkaudit.demo").joinpath("shop.sql").read_text(encoding="utf-8")
    with ThrowawayServer(pg_bindir) as server:
        if not quiet:
            click.echo(
                f"Started a throwaway PostgreSQL {server.major_version()}; "
                "loading the example shop schema...",
                err=True,
            )
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(schema)  # a trusted, bundled file
        yield Target(server.dsn())
