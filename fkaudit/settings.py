"""What a run is asked to do, and what it does once the configuration file has had its say.

Three callers start audits: the command line, `fkaudit.audit()` and
`fkaudit.testing.assert_no_violations()`. Each takes some choices directly and leaves the rest to
the project's configuration file, then to a default. `RunOptions` holds the direct choices of a
command-line run as one typed value; `resolve()` is the single place where "given, else
configured, else default" is decided for rule selection, scope and the fail level, so the three
callers cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fkaudit.catalog.scope import Scope
from fkaudit.config import Config, load_config
from fkaudit.findings import Severity

# The level at or above which findings fail a run when neither the caller nor the file says.
DEFAULT_FAIL_ON = Severity.WARNING


@dataclass(frozen=True)
class Resolved:
    """The effective selection, scope and fail level of one run, with the configuration."""

    config: Config
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    scope: Scope
    fail_on: Severity
    # Added after `select`/`ignore` are settled (`fkaudit.engine.select_rules`).
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()


def resolve(
    config: Config,
    *,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    scope: Scope | None = None,
    fail_on: Severity | None = None,
    extend_select: tuple[str, ...] = (),
    extend_ignore: tuple[str, ...] = (),
) -> Resolved:
    """Given choices win, then the configuration's, then the defaults.

    `select` and `ignore` replace the file's lists when given (they do not add to them);
    `extend_select` and `extend_ignore` add to whichever lists won (ruff's `--extend-*`). A
    `scope` given whole replaces the file's schemas, and None takes the file's.
    """
    return Resolved(
        config=config,
        select=select or config.select,
        ignore=ignore or config.ignore,
        scope=scope or Scope(schemas=config.schemas, exclude_schemas=config.exclude_schemas),
        fail_on=fail_on or config.fail_on or DEFAULT_FAIL_ON,
        extend_select=extend_select,
        extend_ignore=extend_ignore,
    )


@dataclass(frozen=True)
class RunOptions:
    """The choices of one audit as the command line states them; empty means "not given".

    Scope patterns fall back to the file one by one (`--schema` replaces the file's `schemas`
    but keeps its `exclude-schemas`); the file has no table patterns.
    """

    config_file: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()
    statement_timeout_s: int = 60
    lock_timeout_s: int = 1
    orphans: str = "suspect"
    samples: int = 5
    jobs: int = 2
    sample_percent: float | None = None
    allow_incomplete: bool = False

    def resolve(self, config: Config) -> Resolved:
        """These choices over `config` (loaded from `config_file` by the caller)."""
        scope = Scope(
            schemas=self.schemas or config.schemas,
            exclude_schemas=self.exclude_schemas or config.exclude_schemas,
            tables=self.tables,
            exclude_tables=self.exclude_tables,
        )
        return resolve(
            config,
            select=self.select,
            ignore=self.ignore,
            scope=scope,
            fail_on=self.fail_on,
            extend_select=self.extend_select,
            extend_ignore=self.extend_ignore,
        )


@dataclass(frozen=True)
class ReportOptions:
    """How a report is written: its format, a file for it, a baseline to judge it against."""

    fmt: str = "table"
    output: Path | None = None
    sarif_artifact: str | None = None
    show_suppressed: bool = False
    baseline: Path | None = None
    update_baseline: bool = False
    quiet: bool = False  # findings only: no summary, no notes
    statistics: bool = False  # counts by rule instead of the findings
    exit_zero: bool = False  # findings never fail the exit code; an incomplete run still does
    color: str = "auto"  # --color: auto, always, never (fkaudit.terminal.use_color)


@dataclass(frozen=True)
class TargetOptions:
    """SQL files to audit on a throwaway server instead of a running database."""

    schema_file: Path | None = None
    migrations: Path | None = None
    pg_bindir: Path | None = None


@dataclass(frozen=True)
class ReviewOptions:
    """A review of new migrations (`fkaudit.changes`): `--migrations DIR` with `--new-since
    FILE` or `--base-ref REF`, `--transaction`, and `--sizes-from DSN` (the live database whose
    table sizes say how long FK701-FK703 block writes)."""

    directory: Path
    new_since: str | None = None
    base_ref: str | None = None
    transaction: str = "auto"
    pg_bindir: Path | None = None
    sizes_from: str | None = None


def configuration(config: Config | str | Path | None) -> Config:
    """A loaded configuration as given, else the file at the path, else the project's own."""
    if isinstance(config, Config):
        return config
    return load_config(Path(config) if config is not None else None)
