"""Errors that end a run with exit code 2 ("could not run"), each printed as one line.

Everything a user can get wrong — a malformed DSN, an unreachable server, a wrong password, an
unsupported server — becomes a `FkauditError` with a message meant for people; the CLI prints it
without a traceback. Messages never contain a password (`redact`).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class FkauditError(Exception):
    """A run that could not be completed; the message is shown to the user as is."""


class ConnectionFailed(FkauditError):
    """The server could not be reached, refused us, or is not a supported PostgreSQL."""


_KEYWORD_PASSWORD = re.compile(r"""password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)""", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@]*:([^@]*)@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"[?&]password=([^&]*)", re.IGNORECASE)


def secrets_in(dsn: str | None) -> list[str]:
    """Every spelling of a password that a connection string carries."""
    if not dsn:
        return []
    found: list[str] = []
    for pattern in (_KEYWORD_PASSWORD, _URI_PASSWORD, _QUERY_PASSWORD):
        for match in pattern.finditer(dsn):
            raw = match.group(1)
            found.extend({raw, raw.strip("'"), unquote(raw)})
    return [s for s in found if s]


def redact(text: str, dsn: str | None) -> str:
    """Replace every password of `dsn`, and $PGPASSWORD, in `text` with `***`."""
    secrets = {*secrets_in(dsn), os.environ.get("PGPASSWORD", "")}
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def one_line(error: BaseException, dsn: str | None) -> str:
    """An exception's message on one line, passwords removed: what the CLI may print."""
    text = "; ".join(part.strip() for part in str(error).splitlines() if part.strip())
    return redact(text, dsn)


def printable(text: str) -> str:
    """`text` with control characters escaped, so a message stays on one line.

    Messages quote PostgreSQL names, which may hold line breaks; in a CI log a line of its own
    starting with `::` would be run as a GitHub workflow command.
    """
    return "".join(
        ch if ch >= " " and ch != "\x7f" else ch.encode("unicode_escape").decode() for ch in text
    )
