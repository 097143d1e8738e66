"""psycopg's log records as fkaudit prints them (no server needed).

The records are psycopg's own texts (psycopg/connection.py). Those about cleaning up a session
that is already gone are dropped: fkaudit has said what happened in its own line
("fkaudit: terminated", or the error). Seen under load on PostgreSQL 12: SIGTERM arriving while a
query waited on a session the server had ended printed a second line beside "terminated".
"""

from __future__ import annotations

import logging

import pytest

from fkaudit.psycopg_log import PsycopgLog


def _emit(message: str, *args: object) -> None:
    record = logging.LogRecord("psycopg", logging.WARNING, __file__, 1, message, args, None)
    PsycopgLog(logging.WARNING).emit(record)


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("error ignored in rollback on %s: %s", ("<conn>", "terminating connection\nDETAIL: x")),
        ("query cancellation interrupted (%s): closing connection", ("AdminShutdown",)),
        ("query not terminated after cancellation: closing connection", ()),
    ],
)
def test_cleanup_of_a_session_already_gone_is_not_printed(
    message: str, args: tuple[object, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    _emit(message, *args)
    assert capsys.readouterr().err == ""


def test_other_warnings_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    _emit("query cancellation failed: %s", "server closed the connection\nunexpectedly")
    assert capsys.readouterr().err == (
        "fkaudit: warning: query cancellation failed: server closed the connection; unexpectedly\n"
    )
