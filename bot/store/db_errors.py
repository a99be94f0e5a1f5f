"""What a driver's error says about the database, in words a person can act on.

``bot.store.database.Database`` turns an error while opening or using a connection into
:class:`bot.errors.DatabaseUnavailable` with one of these messages, never a traceback:

- :func:`misconfigured`: retrying will not help — the PostgreSQL database or user does not
  exist, the password is wrong, the SQLite file's folder is missing, or the database has no
  Deputy tables (it was never migrated). The message says what to fix.
- :func:`is_connection_error`: the server is away or restarting; "try again shortly" is true.
"""

from __future__ import annotations

import socket

from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError

# PostgreSQL: shutting down, crashed, starting up, too many connections
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# PostgreSQL: no such database, no such role or a wrong password, a table that is not there
_NO_DATABASE, _REFUSED, _NO_TABLE = "3D000", ("28000", "28P01"), "42P01"


def _code(err: BaseException) -> str:
    orig = getattr(err, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def _reason(err: BaseException) -> str:
    return (str(getattr(err, "orig", None) or err).strip().splitlines() or [""])[0]


def misconfigured(err: BaseException, sqlite_path: str | None) -> str | None:
    """The message for an error that retrying cannot mend, or None."""
    code, reason = _code(err), _reason(err)
    if code == _NO_DATABASE or code in _REFUSED:
        return (f"The database server refused the connection: {reason}. Nothing was changed; "
                "check DEPUTY_DATABASE_URL's user, password and database name.")
    low = reason.lower()
    if "rejected ssl upgrade" in low:
        return ("The database server does not accept SSL connections; nothing was changed. Check "
                "sslmode in DEPUTY_DATABASE_URL (sslmode=require needs a server with SSL).")
    if code == _NO_TABLE or low.startswith("no such table"):
        return ("The database has no Deputy tables yet (" + reason + "); nothing was changed. "
                "Run `deputy db upgrade` once to create them.")
    if sqlite_path and "unable to open database file" in low:
        return (f"The SQLite database file {sqlite_path} cannot be opened (does its folder exist, "
                "and may Deputy write there?); nothing was changed. Check DEPUTY_DATABASE_URL.")
    return None


def is_connection_error(err: BaseException) -> bool:
    if isinstance(err, OSError):
        return True
    if isinstance(err, DBAPIError):
        code = _code(err)
        if err.connection_invalidated:
            return True
        # no statement: it failed while connecting (refused, not accepting connections, …) or
        # at commit, where only a constraint or serialisation failure is the data's fault
        if err.statement is None and not code.startswith(("23", "40")):
            return True
        if code.startswith("08") or code in _UNAVAILABLE_STATES:
            return True
    text = str(err).lower()
    return any(
        marker in text
        for marker in ("connection refused", "could not connect", "connection was closed",
                       "unable to open database", "terminating connection", "connection is closed",
                       "not currently accepting connections")
    )


def unreached(url: URL, err: BaseException) -> str:
    """Where the database was looked for and what answered, for the command line (the chat
    message stays "cannot be reached right now"): ``PostgreSQL at 127.0.0.1:5999 refused the
    connection: is the server running, on that port?``. Never the URL's user or password."""
    if url.get_backend_name() == "sqlite":
        where = f"SQLite file {url.database}"
    else:
        where = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"
    seen: BaseException | None = err
    while seen is not None:  # the driver's own error, under SQLAlchemy's wrapping
        if isinstance(seen, ConnectionRefusedError):
            return f"{where} refused the connection: is the server running, on that port?"
        if isinstance(seen, socket.gaierror):
            return f"{where}: no such host"
        if isinstance(seen, TimeoutError):
            return f"{where} did not answer in time"
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return f"{where}: {_reason(err)[:200]}"
