"""psycopg's log records, printed as fkaudit's one-line warnings by the CLI.

Imported only by the commands that connect: `logging` is not needed by the others.
"""

from __future__ import annotations

import logging

import click

from fkaudit.escape import printable


class PsycopgLog(logging.Handler):
    """psycopg's warnings as fkaudit's one-line messages.

    When the server ends a session mid-transaction (a recovery conflict on a hot standby, an
    administrator's pg_terminate_backend), psycopg's rollback on leaving the transaction fails
    and it logs "error ignored in rollback" with the server's message, DETAIL and HINT on lines
    of their own, beside the one-line error fkaudit reports for the same failure. Likewise, when
    Ctrl-C or SIGTERM meets a session the server has already ended, psycopg's cancellation
    fails and it notes that it closes the connection ("...: closing connection"), beside
    fkaudit's own "interrupted"/"terminated". Those records are dropped; any other warning is
    printed on one line.
    """

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("error ignored in rollback") or message.endswith(
            ": closing connection"
        ):
            return
        text = "; ".join(part.strip() for part in message.splitlines() if part.strip())
        click.echo(f"fkaudit: warning: {printable(text)}", err=True)


def route_psycopg_log() -> None:
    """Send psycopg's records to `PsycopgLog` (once), not to logging's last resort."""
    logger = logging.getLogger("psycopg")
    if not any(isinstance(h, PsycopgLog) for h in logger.handlers):
        logger.addHandler(PsycopgLog(logging.WARNING))
        logger.propagate = False  # else logging's last-resort handler prints it raw
