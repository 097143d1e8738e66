"""The public Python API: `audit()` a database and get a `Report`.

The CLI is a thin layer over this; an application's test suite can call it directly:

    import fkaudit
    report = fkaudit.audit("postgresql://app@localhost/app", select=["FK1"])
    assert not report.findings, [f.message for f in report.findings]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from fkaudit.catalog.introspect import introspect
from fkaudit.catalog.model import Catalog
from fkaudit.catalog.scope import Scope
from fkaudit.connection import SessionLimits, connect
from fkaudit.engine import Report, apply_suppressions, run_rules, select_rules
from fkaudit.errors import FkauditError

if TYPE_CHECKING:
    from fkaudit.config import Config


def _server_version(num: int) -> str:
    return f"{num // 10000}.{num % 10000}"


def read_catalog(conn: psycopg.Connection[Any], scope: Scope | None = None) -> Catalog:
    """Introspect in a transaction (a savepoint inside a caller's), leaving the connection usable.

    Only a transaction fkaudit opens itself is made READ ONLY: inside a caller's transaction the
    setting would outlive the savepoint and turn the caller's transaction read-only too.
    """
    owns_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if owns_transaction:
            conn.execute("SET TRANSACTION READ ONLY")
        return introspect(conn, scope)


def audit(
    target: str | psycopg.Connection[Any] | None = None,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    scope: Scope | None = None,
    limits: SessionLimits | None = None,
    config: Config | None = None,
) -> Report:
    """Audit the foreign keys of one database.

    `target` is a libpq connection string or URI, an open psycopg connection (left open), or
    None for `$DATABASE_URL` / the PG* environment variables. `select` and `ignore` take rule
    codes, code prefixes (`FK1`) or names and, when given, replace those of `config`
    (`fkaudit.config.load_config()`), which also supplies severities, options, excludes and,
    when `scope` is None, the schemas to inspect.
    Raises `FkauditError` when the run cannot start.
    """
    started = time.perf_counter()
    if config is not None:
        select = select or config.select
        ignore = ignore or config.ignore
        if scope is None:
            scope = Scope(schemas=config.schemas, exclude_schemas=config.exclude_schemas)
    rules = select_rules(select, ignore, config)
    if not rules:
        raise FkauditError(
            "no rule left to run: the selected rules are all ignored or disabled "
            f"(select: {', '.join(select) or 'default'}; ignore: {', '.join(ignore) or 'none'})"
        )
    if isinstance(target, psycopg.Connection):
        catalog = read_catalog(target, scope)
    else:
        with connect(target, limits) as conn:
            catalog = read_catalog(conn, scope)
    findings, errors = run_rules(catalog, rules)
    findings, suppressed = apply_suppressions(catalog, findings, rules, config)
    return Report(
        findings=findings,
        suppressed=suppressed,
        errors=errors,
        rules_run=tuple(rule.code for rule in rules),
        foreign_keys_inspected=len(catalog.inspected_foreign_keys),
        tables_inspected=len(catalog.in_scope_table_oids),
        database=catalog.database,
        server_version=_server_version(catalog.server_version_num),
        elapsed_seconds=time.perf_counter() - started,
    )
