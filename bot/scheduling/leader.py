"""Exactly one active scheduler. APScheduler 3 cannot share a job store between
schedulers, so every scheduler process first wins leadership:

* PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection. When the
  leader dies its connection drops and the server releases the lock; standbys retry every
  few seconds. The leader checks its connection each sync and steps down if it is gone.
  PostgreSQL keys an advisory lock by database as well as by number, so two Deputy
  databases on one server each elect their own leader; :func:`leader_query` filters by the
  current database likewise.
* SQLite: an exclusive ``flock`` on a file next to the database; one process per machine.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import Protocol

import asyncpg

log = logging.getLogger(__name__)

# "deputy.s" as an int64: the advisory lock key every Deputy scheduler agrees on
LOCK_KEY = 0x6465707574792E73


def leader_query() -> str:
    """SQL naming the process that leads this database (its application_name), for operators.

    A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low 32 bits)
    and objsubid 1; ``database`` tells the databases on one server apart."""
    return ("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            f"AND l.classid = {LOCK_KEY >> 32} AND l.objid = {LOCK_KEY & 0xFFFFFFFF} AND l.objsubid = 1")


class Leadership(Protocol):
    async def acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class PostgresLeadership:
    def __init__(self, url: str) -> None:
        self._url = url.replace("postgresql+asyncpg://", "postgresql://")
        self._conn: asyncpg.Connection | None = None

    async def acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                # the name shows operators (and tests) which process leads, in pg_stat_activity
                self._conn = await asyncpg.connect(self._url, timeout=5, server_settings={
                    "application_name": f"deputy-scheduler:{socket.gethostname()}:{os.getpid()}"})
            got = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            await self.release()
            return False
        return got

    async def still_held(self) -> bool:
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            await asyncio.wait_for(self._conn.fetchval("SELECT 1"), timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            # unlocked before the session closes: the server drops a closed session's locks
            # only once its backend has exited, a moment after the socket closes, and a
            # standby asking in that moment would be refused (the CI saw it)
            async with asyncio.timeout(2):
                await conn.execute("SELECT pg_advisory_unlock_all()")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as err:
            log.info("scheduler leadership: unlock before closing failed (%s); closing releases it", err)
        finally:
            conn.terminate()


class FileLeadership:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def leadership_for(async_url: str) -> Leadership:
    if async_url.startswith("sqlite"):
        path = async_url.split(":///", 1)[1] if ":///" in async_url else "deputy.db"
        return FileLeadership(Path(path + ".scheduler.lock"))
    return PostgresLeadership(async_url)

