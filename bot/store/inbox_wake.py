"""Wakes an idle ``deputy planner run`` when requests are queued (PostgreSQL LISTEN/NOTIFY).

:func:`bot.store.inbox.put` notifies ``deputy_inbox`` (payload: the platform) in the
transaction that queues; :func:`listen` holds one connection LISTENing on it. The planner
then waits on an event instead of polling every 50 ms, and polls once a second only as a
fallback (a lost notification, a LISTEN connection being reopened). SQLite has no
notifications: there the planner polls as before.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import DatabaseUnavailable
from bot.store.inbox import CHANNEL

if TYPE_CHECKING:
    from bot.store.database import Database

log = logging.getLogger(__name__)


async def listen(database: Database, platform: str, wake: asyncio.Event, listening: asyncio.Event,
                 retry: float = 5.0) -> None:
    """On PostgreSQL, LISTEN on the inbox's channel and set ``wake`` when ``platform``'s requests
    are queued; ``listening`` is set while the connection is up (a lost one is reopened after
    ``retry`` seconds, the planner polling meanwhile). Returns at once on other databases."""
    if database.engine.dialect.name != "postgresql":
        return

    def notified(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == platform:
            wake.set()

    while True:
        try:
            async with database.engine.connect() as conn:
                raw: Any = (await conn.get_raw_connection()).driver_connection  # asyncpg's
                lost = asyncio.Event()
                raw.add_termination_listener(functools.partial(_closed, lost))
                await raw.add_listener(CHANNEL, notified)
                listening.set()
                wake.set()  # requests queued before this LISTEN: look once
                try:
                    await lost.wait()
                finally:
                    listening.clear()
                    if not raw.is_closed():
                        await raw.remove_listener(CHANNEL, notified)
            log.warning("planner: the LISTEN connection closed; polling until it is back")
        except (OSError, DatabaseUnavailable, SQLAlchemyError) as err:
            listening.clear()
            log.warning("planner: cannot LISTEN for new requests (%s); polling", type(err).__name__)
        await asyncio.sleep(retry)


def _closed(lost: asyncio.Event, _connection: Any) -> None:
    lost.set()
