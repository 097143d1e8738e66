"""Errors that end a run with exit code 2 ("could not run"), each printed as one line.

Everything a user can get wrong — a malformed DSN, an unreachable server, a wrong password, an
unsupported server — becomes a `FkauditError` with a message meant for people; the CLI prints it
without a traceback. Messages never contain a password (see `fkaudit.dsn`).
"""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2, as shells report it
EXIT_TERMINATED = 143  # SIGTERM (CI cancel, timeout, docker stop): 128 + 15


class FkauditError(Exception):
    """A run that could not be completed; the message is shown to the user as is."""


class ConnectionFailed(FkauditError):
    """The server could not be reached, refused us, or is not a supported PostgreSQL."""


def one_line(error: BaseException) -> str:
    """An exception's message on one line: what the CLI may print.

    No password is removed here: messages are kept free of passwords where they are made
    (`fkaudit.dsn`), since replacing a password's text would also mangle server messages.
    """
    return "; ".join(part.strip() for part in str(error).splitlines() if part.strip())
