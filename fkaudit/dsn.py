"""Connection strings read the way libpq reads them, so that no message ever shows a password.

A password is kept out of messages by structure, not by searching for it: replacing the
password's text wherever it occurs mangles server messages when it is short (`PGPASSWORD=e`
turned every "e" into `***`) and misses it when libpq split it differently from the user.

- A DSN libpq cannot parse is reported with libpq's reason, but every fragment libpq quotes
  from the string (a token, a percent-escape, sometimes the whole URI) is elided unless it is a
  connection keyword: those fragments may be pieces of the password.
- A URI whose user information holds an unencoded `@` is refused before connecting. libpq
  ends the user information at the FIRST `@`: `postgresql://u:p@ssW0rd@host/db` means password
  `p` on host `ssW0rd@host`, whose name every later message would quote. The same happens to
  an unencoded `/` (`u:pa/ss@host`: host `u`, port `pa`). No URI needs a second `@` before its
  query (write it `%40`), so fkaudit accepts none.
- A target is described as `user@host:port/dbname` from libpq's parse, which never includes
  the password. Connection and server errors from libpq do not echo the password, so they
  are printed as they are.
"""

from __future__ import annotations

import getpass
import os
import re
from functools import cache

import psycopg
from psycopg import conninfo

from fkaudit.errors import ConnectionFailed

_URI_SCHEME = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"')


@cache
def _keywords() -> frozenset[str]:
    """libpq's connection keywords: the only quoted fragments a parse error may show."""
    return frozenset(d.keyword.decode() for d in psycopg.pq.Conninfo.get_defaults())


def parse(dsn: str) -> dict[str, str]:
    """The DSN's parameters as libpq reads them; `ConnectionFailed` naming no part of it."""
    if _ambiguous_user_info(dsn):
        raise ConnectionFailed(
            "invalid connection string: the URI has an unencoded '@' or '/' after its user "
            "information; write '@' as %40 and '/' as %2F in a user name or password"
        )
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"invalid connection string: {parse_error(exc)}") from None
    return {key: str(value) for key, value in params.items() if value is not None}


def parse_error(exc: BaseException) -> str:
    """libpq's reason for refusing a DSN, on one line, with quoted fragments elided."""
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())

    def elide(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0)[1:-1] in _keywords() else '"…"'

    return _QUOTED.sub(elide, text)


def _ambiguous_user_info(dsn: str) -> bool:
    """Whether a URI holds an `@` after the end libpq gives its user information.

    libpq scans from `://` to the first `@` or `/`: an `@` found there ends the user
    information. Any `@` after that, before the query, was meant to be part of it.
    """
    scheme = _URI_SCHEME.match(dsn)
    if scheme is None:
        return False
    rest = dsn[scheme.end() :]
    end = re.search(r"[@/]", rest)
    if end is not None and end.group(0) == "@":
        rest = rest[end.end() :]
    return "@" in rest.split("?", 1)[0]


def describe_target(params: dict[str, str]) -> str:
    """`user@host:port/dbname`: what we tried to reach, as libpq resolves the defaults."""
    user = params.get("user") or os.environ.get("PGUSER") or _login_name()
    host = params.get("host") or os.environ.get("PGHOST") or "local socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"{user}@{host}:{port}/{dbname}"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (containers)
        return "?"
