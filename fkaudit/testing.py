"""A test helper for application suites: fail a test when the schema has foreign-key problems.

    from fkaudit.testing import assert_no_violations

    def test_foreign_keys(database_url):
        assert_no_violations(database_url)

The project's fkaudit configuration (fkaudit.toml, .fkaudit.toml or pyproject.toml, found
upward from the working directory) applies as it does on the command line, so the test and
`fkaudit check` agree. The assertion message is the table report of the failing findings, with
their fixes, so a failing test says what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from fkaudit.api import audit
from fkaudit.baseline import apply_baseline, load_baseline
from fkaudit.catalog.scope import Scope
from fkaudit.config import Config
from fkaudit.findings import Severity
from fkaudit.report import Report
from fkaudit.settings import configuration, resolve


def assert_no_violations(
    target: str | psycopg.Connection[Any] | None = None,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str | Severity | None = None,
    baseline: str | Path | None = None,
    config: Config | str | Path | None = None,
    scope: Scope | None = None,
    orphans: str = "suspect",
) -> Report:
    """Audit `target` (DSN, open connection or None for $DATABASE_URL) and fail on findings.

    Fails (AssertionError) when a finding is at or above `fail_on` (default: the
    configuration's `fail-on`, else warning) and not in `baseline`, or when the audit could not
    complete. `config` is a loaded Config, a file path, or None to look for the project's file.
    Returns the report, for further assertions.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    level = Severity.parse(fail_on) if isinstance(fail_on, str) else fail_on
    settings = resolve(
        configuration(config),
        select=tuple(select),
        ignore=tuple(ignore),
        scope=scope,
        fail_on=level,
    )
    report = audit(
        target,
        select=settings.select,
        ignore=settings.ignore,
        scope=settings.scope,
        config=settings.config,
        orphans=orphans,
    )
    if baseline is not None:
        entries = load_baseline(Path(baseline))
        report = apply_baseline(report, entries, settings, orphans)
    level = settings.fail_on
    failing = tuple(f for f in report.findings if f.severity >= level)
    if failing or report.errors:
        from fkaudit.reporters import render_text

        shown = render_text("table", replace(report, findings=failing)).removesuffix("\n")
        raise AssertionError(
            f"fkaudit: {len(failing)} foreign-key problem(s) at or above {level.label}"
            + (f" and {len(report.errors)} error(s)" if report.errors else "")
            + f":\n\n{shown}"
        )
    return report
