"""The database connection: an async SQLAlchemy engine on SQLite or PostgreSQL.

Repositories get a :class:`Database` and open short sessions from it. A database that cannot
be reached surfaces as :class:`bot.errors.DatabaseUnavailable`, never as a driver traceback.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Executable, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DatabaseUnavailable
from bot.store import team_scope
from bot.store.clock import Clock, clock_in_use, system_clock
from bot.store.db_errors import is_connection_error, misconfigured, unreached
from bot.store.plain_tx import PlainTx
from bot.store.sqlite_wal import Checkpointer


class Conflict(Exception):
    """A concurrent transaction wrote the same unique key first; this one rolled back.
    The message names what collided (never a value)."""


# what repositories take: callers open it with ``database.session()`` and pass it on
Session = AsyncSession


async def insert_once(session: AsyncSession, row: object) -> bool:
    """Add ``row`` in a savepoint; False when a unique key says it is already there (a
    concurrent delivery of the same event, a second click), leaving the session usable."""
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False
    return True

async def execute_plain(session: AsyncSession | PlainTx, statement: Executable,
                        params: dict[str, Any] | None = None) -> Any:
    """A Core statement on the session's connection, in its transaction, without the ORM: no
    unit of work, no identity map, and no team criteria added (bot/store/team_scope.py), so
    a statement on a team's table must name its team itself. For the few statements every
    step of a run costs, where the ORM's work per statement was most of the step's CPU (built
    once with bound parameters, such a statement is not even rebuilt or re-keyed). The
    session's connection is asked for once per transaction (each ask is a trip through the
    session's state machine in a greenlet of its own), and again in each savepoint: asking
    is what makes the session emit the SAVEPOINT it began. A ``PlainTx`` is its connection."""
    if isinstance(session, PlainTx):
        return await (await session.connection()).execute(statement, params)
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    held = session.info.get(_PLAIN_CONNECTION)
    if held is None or held[0] is not transaction:
        held = session.info[_PLAIN_CONNECTION] = (transaction, await session.connection())
    return await held[1].execute(statement, params)


_PLAIN_CONNECTION = "plain_connection"  # session.info: (its transaction, its connection)

AUDIT_KEYS = "audit_keys"  # session.info key: what audit records are signed with

CONNECT_TIMEOUT_SECONDS = 3.0
# waiting for a pooled connection: all of them busy usually means all of them hanging (the
# chat path's default: an answer in Slack's 3 s; the planner process waits longer, see Pool)
POOL_TIMEOUT_SECONDS = 5.0


def async_url(url: str) -> str:
    """Map a plain database URL to the async driver Deputy uses."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        # libpq's (and every host's) ?sslmode=require is asyncpg's ?ssl=require
        return "postgresql+asyncpg://" + re.sub(r"([?&])sslmode=", r"\1ssl=", url[len("postgresql://") :])
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


@dataclass(frozen=True)
class Pool:
    """A process's connections to PostgreSQL (SQLite has no pool to size): ``size`` kept open
    at most, with no overflow beyond them when given (``None``: SQLAlchemy's 5 + 10
    overflow), and how long a session waits for one before the database counts as too busy."""

    size: int | None = None
    timeout: float = POOL_TIMEOUT_SECONDS


class Database:
    def __init__(self, url: str, *, echo: bool = False, clock: Clock | None = None,
                 pool: Pool | None = None) -> None:
        self.url = async_url(url)
        # what the store stamps rows with (bot/store/clock.py); the app sets its own clock here
        self.clock: Clock = clock or system_clock
        self.is_sqlite = self.url.startswith("sqlite")
        self.checkpointer: Checkpointer | None = None
        # no ping before every transaction (a round trip each, several per step of a run):
        # a connection idle for a while is pinged when it is checked out (see _ping_if_idle)
        kwargs: dict[str, object] = {"echo": echo, "pool_pre_ping": False}
        if self.is_sqlite:
            # a busy SQLite file waits for the writer instead of failing at once
            kwargs["connect_args"] = {"timeout": 30}
            # a connection back in the pool is rolled back only when it is in a transaction
            # (_sqlite_reset): the pool's own reset would send a ROLLBACK to the driver's
            # thread after every commit, a thread round trip per transaction for nothing
            kwargs["pool_reset_on_return"] = None
            # one trip to the driver's thread per statement, not three or four (imported
            # here: a process on PostgreSQL never loads aiosqlite)
            from bot.store.sqlite_driver import one_trip_dbapi

            kwargs["module"] = one_trip_dbapi()
        else:
            # fail fast when the server is gone: a chat request must not hang on a dead
            # database (Slack gives 3 s), and a worker retries on its own schedule
            kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT_SECONDS, "command_timeout": 30}
            pool = pool or Pool()
            kwargs["pool_timeout"] = pool.timeout
            if pool.size is not None:
                kwargs["pool_size"], kwargs["max_overflow"] = pool.size, 0
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            # the WAL's checkpoints run in a thread of their own, not in the commit that
            # crosses SQLite's threshold (bot/store/sqlite_wal.py); not for a database in memory
            path = self.engine.url.database
            self.checkpointer = Checkpointer(path) if path and path != ":memory:" else None
            event.listen(self.engine.sync_engine, "connect",
                         _sqlite_pragmas if self.checkpointer is None else _sqlite_pragmas_own_checkpoints)
            if self.checkpointer is not None:
                event.listen(self.engine.sync_engine, "commit", self.checkpointer.committed)
            event.listen(self.engine.sync_engine.pool, "reset", _sqlite_reset)
        else:
            # a SQLite file has no connection to lose; a server's may have died while idle
            dialect = self.engine.dialect
            event.listen(self.engine.sync_engine.pool, "checkin", _idle_from)
            event.listen(self.engine.sync_engine.pool, "checkout",
                         lambda conn, record, proxy: _ping_if_idle(dialect, conn, record))
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # the audit chain's keys (bot.vault.audit_key.AuditKeys), set by build_app from the
        # keyring; without them records are chained with plain SHA-256 (tests, tools)
        self.audit_keys: object | None = None

    @asynccontextmanager
    async def session(self, *, team: str | None = None, all_teams: bool = False) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on any error.

        ``team``: it sees and writes only that team's rows; ``all_teams``: it works across
        teams on purpose (bot/store/team_scope.py)."""
        async with self._reachable(), self._sessions() as session, session.begin():
            team_scope.declare(session.sync_session, team, all_teams)
            if self.audit_keys is not None:
                session.info[AUDIT_KEYS] = self.audit_keys
            yield session

    @asynccontextmanager
    async def plain(self, *, team: str | None, autocommit: bool = False) -> AsyncIterator[PlainTx]:
        """``session``'s transaction on a Core connection, no ORM (bot/store/plain_tx.py); ``team`` None:
        across teams. ``autocommit``: no BEGIN/COMMIT, each statement its own transaction."""
        async with self._reachable(), self.engine.connect() as connection:
            if autocommit:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            async with connection.begin():
                keys = {AUDIT_KEYS: self.audit_keys} if self.audit_keys is not None else {}
                yield PlainTx(connection, self.engine, {team_scope.TEAM: team, team_scope.ALL_TEAMS: team is None, **keys})

    @asynccontextmanager
    async def _reachable(self) -> AsyncIterator[None]:
        """The store's clock current, and a database out of reach said as DatabaseUnavailable."""
        try:
            with clock_in_use(self.clock):
                yield
        except PoolTimeout as err:
            # every pooled connection stayed busy for the pool's timeout: this process is
            # overloaded (a burst), not broken — as transient as a server that went away
            raise DatabaseUnavailable(
                "The database is too busy right now; nothing was changed. Try again shortly.") from err
        except (OperationalError, DBAPIError, OSError) as err:
            wrong = misconfigured(err, self.engine.url.database if self.is_sqlite else None)
            if wrong is not None:  # retrying will not mend it: say what to fix
                raise DatabaseUnavailable(wrong) from err
            if is_connection_error(err):
                raise DatabaseUnavailable(
                    "The database cannot be reached right now; nothing was changed. Try again shortly.",
                    detail=unreached(self.engine.url, err),
                ) from err
            raise

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.wait()
        await self.engine.dispose()

    @property
    def shown_url(self) -> str:
        """The URL with its password hidden, to show a person."""
        return self.engine.url.render_as_string(hide_password=True)

    async def ping(self) -> None:
        """One round trip (``SELECT 1``); raises whatever the driver raises when it fails."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def sync_engine(self) -> Engine:
        """A new synchronous engine on the same database (APScheduler 3's job store is
        synchronous); the caller disposes of it."""
        url = sync_url(self.url)
        args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {"connect_timeout": 10}
        return create_engine(url, connect_args=args, pool_pre_ping=True)


def sync_url(url: str) -> str:
    """The same database through a synchronous driver."""
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url[len("sqlite+aiosqlite://"):]
    if url.startswith("postgresql+asyncpg://"):
        return "postgresql+psycopg://" + re.sub(r"([?&])ssl=", r"\1sslmode=", url[len("postgresql+asyncpg://"):])
    return url


# a pooled connection unused this long is pinged before use: the server may have restarted
# or dropped it meanwhile. One used more recently is trusted: if it died since, its
# statement fails as DatabaseUnavailable and SQLAlchemy invalidates the whole pool (every
# older connection is replaced), so a restart costs at most one failed transaction.
PING_AFTER_IDLE_SECONDS = 2.0
_IDLE_SINCE = "deputy_idle_since"


def _idle_from(_dbapi_connection: object, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: object, record: Any) -> None:
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
        return  # new (it just connected), or used a moment ago
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception as err:
        if not dialect.is_disconnect(err, dbapi_connection, None):
            raise
        alive = False
    if not alive:
        # the pool discards this connection and checks out (or opens) another
        raise DisconnectionError("a pooled connection was found closed")


def _sqlite_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
    """A SQLite connection returning to the pool: rolled back if a transaction is still open
    on it (SQLAlchemy's reset-on-return, skipped when there is nothing to undo). The driver's
    ``in_transaction`` is read without a trip to its thread; a connection that cannot be
    awaited here (collected outside the event loop) is discarded by the pool instead."""
    if state.transaction_was_reset or not state.asyncio_safe:
        return
    if record.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a crash of the process loses nothing committed; fsync only at checkpoints
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_pragmas_own_checkpoints(dbapi_connection: object, record: object) -> None:
    """The pragmas, and no automatic checkpoint: the database's Checkpointer runs them."""
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()
