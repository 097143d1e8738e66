"""The process around a command: one-line errors, signals, and a fast, clean exit.

Every failure a user can cause ends as one line on stderr and exit code 2; a traceback is shown
only with FKAUDIT_DEBUG=1. SIGTERM unwinds like Ctrl-C so that server-side queries are
cancelled and throwaway servers stopped. None of this knows which command runs.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from fkaudit.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED, FkauditError
from fkaudit.escape import printable

F = TypeVar("F", bound=Callable[..., Any])


class _NeverRaised(Exception):
    pass


# click 8.2+ shows the help for a bare group through this UsageError (older ones exit 0).
_NO_ARGS_IS_HELP: type[Exception] = getattr(click.exceptions, "NoArgsIsHelpError", _NeverRaised)


@contextmanager
def _usage_errors_on_one_line() -> Iterator[None]:
    """Every usage error as one line on stderr and exit 2, like every other error.

    click prints a usage line, a hint and a blank line before the message; in a CI log the
    message is then the fourth line of four. Unknown commands and options, missing arguments,
    out-of-range values and the UsageErrors the commands raise all pass through here.
    """
    try:
        yield
    except _NO_ARGS_IS_HELP:
        raise  # plain `fkaudit`: the help text, as click shows it
    except click.ClickException as exc:
        message = " ".join(exc.format_message().split())
        ctx = getattr(exc, "ctx", None)
        where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        click.echo(f"fkaudit: error: {printable(message)}{where}", err=True)
        sys.exit(EXIT_ERROR)


class OneLineCommand(click.Command):
    """A command whose parsing and running report usage errors on one line; stand-alone (the
    pre-commit hook's), or as the base of `MainGroup`."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _usage_errors_on_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_errors_on_one_line():
            return super().invoke(ctx)


class MainGroup(OneLineCommand, click.Group):
    """The `fkaudit` group: parsing and running its commands with one-line usage errors."""


def _fail(message: str) -> NoReturn:
    click.echo(f"fkaudit: error: {printable(message)}", err=True)
    sys.exit(EXIT_ERROR)


def handle_errors(func: F) -> F:
    """Turn every failure into one line and an exit code; never a traceback or a password.

    psycopg's log records are printed as fkaudit's one-line warnings (`psycopg_log`)."""
    return _guarded(func, database=True)


def handle_errors_offline(func: F) -> F:
    """`handle_errors` for the commands that never connect (`rules`, `explain`): they need no
    psycopg log routing, which spares them importing `logging` (5 ms of a 0.1 s budget)."""
    return _guarded(func, database=False)


def _guarded(func: F, *, database: bool) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if database:
            from fkaudit.psycopg_log import route_psycopg_log

            route_psycopg_log()
        try:
            with sigterm_as_exit():
                return func(*args, **kwargs)
        except click.ClickException:
            raise  # usage errors: printed on one line by the group (MainGroup), exit code 2
        except FkauditError as exc:
            _fail(str(exc))
        except Terminated:
            click.echo("fkaudit: terminated", err=True)
            sys.exit(EXIT_TERMINATED)
        except KeyboardInterrupt:
            click.echo("fkaudit: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if os.environ.get("FKAUDIT_DEBUG"):
                raise
            _fail(_describe_unexpected(exc))

    return wrapper  # type: ignore[return-value]


def _describe_unexpected(exc: Exception) -> str:
    """One line for a database or internal error (their texts never hold a password)."""
    from fkaudit.errors import one_line

    try:
        import psycopg
    except ImportError as missing:
        # psycopg without libpq: plain `fkaudit` leaves libpq to the system (`fkaudit[binary]`
        # bundles one), so this is the machine's set-up, not a bug; psycopg says what it tried.
        return (
            f"psycopg cannot load libpq ({one_line(missing)}): install 'fkaudit[binary]' "
            "for psycopg's own libpq, or the system's libpq (e.g. apt install libpq5)"
        )

    text = one_line(exc)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"permission denied while reading the catalog: {text}"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return f"the server cancelled a catalog query (statement timeout): {text}"
    if isinstance(exc, psycopg.Error):
        return f"database error: {text}"
    return f"internal error: {type(exc).__name__}: {text} (set FKAUDIT_DEBUG=1 for a traceback)"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same code cancels the server's queries.

    A KeyboardInterrupt is what psycopg answers by cancelling the running query (the catalog
    read) and what the orphan scan answers by cancelling every worker's query; without it,
    SIGTERM would kill the process and leave its queries running on the server.
    """


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind the stack like Ctrl-C (as `Terminated`), so context managers clean
    up: queries are cancelled, connections closed, throwaway servers stopped."""

    def on_term(signum: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while an audit builds and formats its results.

    An audit allocates a large, acyclic graph of catalog records and findings; every
    generation-2 collection rescans all of it, which measured 0.4-1.0 s of a 1.5 s run on
    10,000 tables. Reference counting still frees everything; the collector resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Set by `run_and_exit`: the process ends right after the command, so its results need not be freed.
_exiting_after_command = False
_kept_alive: list[object] = []


def outlive_the_command(result: object) -> None:
    """Keep a large result alive until `run_and_exit` ends the process, which frees it wholesale."""
    if _exiting_after_command:
        _kept_alive.append(result)


def run_and_exit(main: Callable[[], object]) -> NoReturn:
    """Run the console entry point `main`, then exit without interpreter teardown.

    An audit of 10,000 tables builds about half a million small objects; freeing them one by
    one and tearing the interpreter down took 0.1 s of a 1.3 s run. When `main` returns, the
    output is written, connections are closed and throwaway servers stopped (their context
    managers have run), so the process ends with `os._exit` once the streams are flushed.
    Unexpected exceptions still propagate with their traceback.
    """
    global _exiting_after_command
    _exiting_after_command = True
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (fkaudit ... | head): nothing to report
        pass
    os._exit(code or 0)
