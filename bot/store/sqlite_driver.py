"""SQLite through aiosqlite with one trip to the driver's thread per statement.

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes one
call per cursor operation: open the cursor, execute, fetch the rows, close it — three or
four trips per statement, each a queue put, a thread wake-up and a wake-up of the event loop
(~80 µs of CPU apiece; a read step of a run made ten of them). Here a statement's cursor is
opened, executed, read out and closed in one function on that thread, and the adapted
cursor keeps what it answered (rows, description, rowcount, last row id), which is all
SQLAlchemy reads from a cursor that is not server-side. Streaming (server-side) cursors
keep SQLAlchemy's own adapter.

The driver is handed to SQLAlchemy as the dialect's DBAPI module (``create_async_engine``'s
public ``module=``), so the dialect, its URL and its events stay SQLAlchemy's aiosqlite
ones. It reaches aiosqlite's queue of calls (``Connection._execute``), as SQLAlchemy's own
adapter does (its ``isolation_level`` setter puts on that queue directly).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# how long a failed open waits for aiosqlite's thread to stop (it takes a few ms)
THREAD_STOP_SECONDS = 5.0
# what one statement answered: description, rowcount, lastrowid, rows (None: no result rows)
_Answer = tuple[Any, int, int | None, list[Any] | None]


def _run(driver: aiosqlite.Connection, many: bool, operation: str, parameters: Any) -> _Answer:
    """On the driver's thread: the whole life of one cursor."""
    cursor = driver._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement is one trip to the driver's thread; nothing is open on the
    driver between statements."""

    __slots__ = ("_answer",)

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # no driver cursor is opened here (the base class opens one: a trip of its own)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._answer: _Answer = (None, -1, None, None)

    @property
    def description(self) -> Any:
        return self._answer[0]

    @property
    def rowcount(self) -> int:
        return self._answer[1]

    @property
    def lastrowid(self) -> Any:
        return self._answer[2]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """Rows are all fetched at once: there is no batch size to set."""

    async def _async_soft_close(self) -> None:
        """The driver's cursor was closed with its statement; the rows are kept here."""

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_trip(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_trip(True, operation, seq_of_parameters)

    async def _one_trip(self, many: bool, operation: str, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            self._answer = await self._connection._execute(_run, self._connection, many, operation, parameters)
        rows = self._answer[3]
        if rows is not None:
            self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with the one-trip cursor."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        if kw.get("async_creator_fn") is not None:
            return OneTripConnection(self, super().connect(*arg, **kw)._connection)
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter: a forgotten one never holds the exit
        try:
            opened: Any = await_(connection)
        except BaseException:
            # a file that cannot be opened: aiosqlite raises at once and queues its thread's
            # stop without waiting for it, and the thread's answer then reached an event loop
            # already closed (a second traceback, "Event loop is closed", after Deputy's one
            # line). The thread is let finish first; it has nothing left but that stop.
            await_(asyncio.to_thread(connection._thread.join, THREAD_STOP_SECONDS))
            raise
        return OneTripConnection(self, opened)


def one_trip_dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
