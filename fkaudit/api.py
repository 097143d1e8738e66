"""The public Python API: `audit()` a database and get a `Report`.

The CLI is a thin layer over this; an application's test suite can call it directly:

    import fkaudit
    report = fkaudit.audit("postgresql://app@localhost/app", select=["FK1"])
    assert not report.findings, [f.message for f in report.findings]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import psycopg

from fkaudit.catalog.introspect import introspect
from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.catalog.scope import Scope
from fkaudit.connection import (
    SessionLimits,
    connect,
    resolve_dsn,
    transaction,
    without_prepared_statements,
)
from fkaudit.engine import apply_suppressions, run_rules, select_rules
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding
from fkaudit.orphans.scan import ScanFailure, ScanListener, largest_first, scan
from fkaudit.report import Report, RuleError
from fkaudit.rules import ChangeRule, DataRule
from fkaudit.settings import resolve

if TYPE_CHECKING:
    from fkaudit.config import Config
    from fkaudit.sqlsource import IgnoreComment


def _server_version(num: int) -> str:
    return f"{num // 10000}.{num % 10000}"


def read_catalog(
    conn: psycopg.Connection[Any], scope: Scope | None = None, *, implied: bool = False
) -> Catalog:
    """Introspect in a transaction (a savepoint inside a caller's), leaving the connection usable.

    Only a transaction fkaudit opens itself is made READ ONLY (and bounded): inside a caller's
    transaction the settings would outlive the savepoint and change the caller's transaction.
    """
    with transaction(conn):
        return introspect(conn, scope, implied=implied)


def _scan_orphans(
    target: str | psycopg.Connection[Any] | None,
    catalog: Catalog,
    data_rules: Sequence[DataRule],
    mode: str,
    samples: int,
    jobs: int,
    limits: SessionLimits | None,
    progress: Callable[[Catalog, list[ForeignKey]], ScanListener] | None,
    sample_percent: float | None,
) -> tuple[tuple[Finding, ...], tuple[RuleError, ...], frozenset[tuple[str, str, str]]]:
    """The data rules' findings from the scans of the keys they name (FK501: the keys with
    orphans; FK502: implied keys with their orphan counts), the scans that did not complete,
    and the foreign keys an exact (not sampled) scan found clean."""
    owner = {fk: rule for rule in data_rules for fk in rule.keys_to_scan(catalog, mode)}
    everything = largest_first(catalog, owner)
    listener = progress(catalog, everything) if progress is not None and everything else None
    if isinstance(target, psycopg.Connection):
        caller = target
        with without_prepared_statements(caller):
            results = scan(
                lambda: nullcontext(caller),
                catalog,
                everything,
                samples=samples,
                listener=listener,
                sample_percent=sample_percent,
            )
    else:
        dsn = resolve_dsn(target)
        results = scan(
            lambda: connect(dsn, limits),
            catalog,
            everything,
            samples=samples,
            jobs=jobs,
            listener=listener,
            sample_percent=sample_percent,
        )
    found: list[Finding] = []
    failed: list[RuleError] = []
    clean: set[tuple[str, str, str]] = set()
    for result in results:
        rule = owner[result.fk]
        if isinstance(result, ScanFailure):
            where = catalog.table(result.fk.table_oid).qualified_name
            failed.append(
                RuleError(
                    rule.code,
                    f"orphan scan of {result.fk.name} on {where} did not complete: {result.reason}",
                )
            )
            finding = rule.unscanned(catalog, result.fk)
        else:
            finding = rule.scanned(catalog, result)
            # A constraint that VALIDATE CONSTRAINT would pass now (an implied key is none).
            if not result.fk.implied and not result.count and result.sample_percent is None:
                child = catalog.table(result.fk.table_oid)
                clean.add((child.schema, child.name, result.fk.name))
        if finding is not None:
            found.append(finding)
    return tuple(found), tuple(failed), frozenset(clean)


def audit(
    target: str | psycopg.Connection[Any] | None = None,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
    extend_ignore: Sequence[str] = (),
    scope: Scope | None = None,
    limits: SessionLimits | None = None,
    config: Config | None = None,
    orphans: str = "suspect",
    samples: int = 5,
    jobs: int = 2,
    allow_incomplete: bool = False,
    progress: Callable[[Catalog, list[ForeignKey]], ScanListener] | None = None,
    sample_percent: float | None = None,
    ignore_comments: Sequence[IgnoreComment] = (),
) -> Report:
    """Audit the foreign keys of one database.

    `target` is a libpq connection string or URI, an open psycopg connection (left open), or
    None for `$DATABASE_URL` / the PG* environment variables. `select` and `ignore` take rule
    codes, code prefixes (`FK1`) or names and, when given, replace those of `config`
    (`fkaudit.config.load_config()`), which also supplies severities, options, excludes and,
    when `scope` is None, the schemas to inspect. `extend_select` and `extend_ignore` add to
    the rules chosen so (`fkaudit.engine.select_rules`).

    When FK501 runs, the data auditor scans the foreign keys `orphans` names ("suspect", "all"
    or "off") on up to `jobs` connections (one when `target` is a connection), keeping up to
    `samples` orphan keys each. A scan or check that cannot complete (a privilege, a lock, a
    timeout: FK302's lookup of the SET DEFAULT row too) is an error of the report (exit
    code 2) unless `allow_incomplete`, which lists it in `Report.incomplete` instead.
    `progress(catalog, foreign_keys)`, when given, returns a listener told of each scan.
    With a caller's connection, scans run on it one after another under the caller's session
    settings (its statement and lock timeouts; read-only only if fkaudit opens the transaction),
    and fkaudit leaves no setting and no prepared statement on it.
    `sample_percent` reads referencing tables of 100,000 rows or more through a page sample
    of that size; their counts are then estimates (`details["sample_percent"]`).
    `ignore_comments` are `-- fkaudit:ignore` comments of the SQL files the database was built
    from (`fkaudit.sqlsource.read_sources(files).attached`): they suppress findings as a
    directive in a `COMMENT ON` the table or key they are attached to does.
    Raises `FkauditError` when the run cannot start.
    """
    started = time.perf_counter()
    if config is not None:
        settings = resolve(config, select=tuple(select), ignore=tuple(ignore), scope=scope)
        select, ignore, scope = settings.select, settings.ignore, settings.scope
    rules = select_rules(
        select, ignore, config, extend_select=extend_select, extend_ignore=extend_ignore
    )
    if not rules:
        extra = "".join(
            f"; {flag}: {', '.join(given)}"
            for flag, given in (("extend-select", extend_select), ("extend-ignore", extend_ignore))
            if given
        )
        raise FkauditError(
            "no rule left to run: the selected rules are all ignored or disabled "
            f"(select: {', '.join(select) or 'default'}; ignore: {', '.join(ignore) or 'none'}"
            f"{extra})"
        )
    implied = any(rule.reads_implied_references for rule in rules)
    if isinstance(target, psycopg.Connection):
        with without_prepared_statements(target):
            catalog = read_catalog(target, scope, implied=implied)
    else:
        with connect(target, limits) as conn:
            catalog = read_catalog(conn, scope, implied=implied)
    findings, errors = run_rules(catalog, rules)
    data_rules = [rule for rule in rules if isinstance(rule, DataRule)]
    incomplete: tuple[RuleError, ...] = ()
    clean: frozenset[tuple[str, str, str]] = frozenset()
    if data_rules and orphans != "off":
        found, failed, clean = _scan_orphans(
            target,
            catalog,
            data_rules,
            orphans,
            samples,
            jobs,
            limits,
            progress,
            sample_percent,
        )
        # What the data rules saw in the catalog alone is replaced by what the scans found.
        scanned = {rule.code for rule in data_rules}
        findings = (*(f for f in findings if f.code not in scanned), *found)
        if allow_incomplete:
            incomplete = failed
        else:
            errors = (*errors, *failed)
    findings, suppressed = apply_suppressions(catalog, findings, rules, config, ignore_comments)
    not_run = tuple(
        RuleError(f.code, f"{f.code} {f.name} could not check {f.qualified_object}: {f.message}")
        for f in findings
        if f.unchecked
    )
    if not_run:
        findings = tuple(f for f in findings if not f.unchecked)
        if allow_incomplete:
            incomplete = (*incomplete, *not_run)
        else:
            errors = (*errors, *not_run)
    suppressed = tuple(f for f in suppressed if not f.unchecked)
    return Report(
        findings=findings,
        suppressed=suppressed,
        errors=errors,
        incomplete=incomplete,
        # A change rule judges a review only (fkaudit.changes.review adds them there): listed
        # here, a plain audit would count them as passed checks (JUnit, by_rule) and call
        # the baseline's FK7xx entries stale.
        rules_run=tuple(rule.code for rule in rules if not isinstance(rule, ChangeRule)),
        foreign_keys_inspected=len(catalog.inspected_foreign_keys),
        foreign_keys=tuple(
            (catalog.table(fk.table_oid).schema, catalog.table(fk.table_oid).name, fk.name)
            for fk in catalog.inspected_foreign_keys
        ),
        tables_inspected=len(catalog.in_scope_table_oids),
        database=catalog.database,
        server_version=_server_version(catalog.server_version_num),
        elapsed_seconds=time.perf_counter() - started,
        scanned_clean=clean,
    )
