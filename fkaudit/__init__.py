"""fkaudit: a PostgreSQL foreign-key linter and auditor.

The public API is imported lazily so that `fkaudit --help` does not pay for psycopg:

    fkaudit.audit(dsn_or_connection, select=..., ignore=..., scope=...) -> Report
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "FkauditError",
    "Report",
    "Scope",
    "SessionLimits",
    "Severity",
    "__version__",
    "audit",
]

if TYPE_CHECKING:
    from fkaudit.api import audit
    from fkaudit.catalog.scope import Scope
    from fkaudit.connection import SessionLimits
    from fkaudit.errors import FkauditError
    from fkaudit.findings import Finding, Severity
    from fkaudit.report import Report

_LAZY = {
    "audit": "fkaudit.api",
    "Scope": "fkaudit.catalog.scope",
    "SessionLimits": "fkaudit.connection",
    "Report": "fkaudit.report",
    "FkauditError": "fkaudit.errors",
    "Finding": "fkaudit.findings",
    "Severity": "fkaudit.findings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fkaudit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
