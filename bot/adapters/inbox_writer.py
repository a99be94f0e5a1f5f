"""The web process's side of the inbox (bot/adapters/inbox.py): requests acknowledged are
written to the ``inbox`` table in batches, so a burst costs a few transactions, not one per
request."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.adapters.inbox_seal import Payload, Sealer
from bot.store import inbox

if TYPE_CHECKING:
    from bot.store.database import Database


class InboxWriter:
    """Queues requests for a planner; :meth:`put` is awaited by the hand-off after the ack, or
    before it (``before_ack``, DEPUTY_INBOX_COMMIT_BEFORE_ACK: a request acknowledged is then a
    request committed). Group commit either way: the requests that arrive while one batch
    commits go in the next."""

    def __init__(self, database: Database, sealer: Sealer, *, before_ack: bool = False) -> None:
        self.database = database
        self.sealer = sealer
        self.before_ack = before_ack
        self._waiting: list[inbox.Item] = []
        self._written: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()

    async def put(self, kind: str, payload: Payload, team: str | None = None) -> None:
        """Return once the request is committed (with whatever else was waiting); ``team``:
        the platform's workspace it came from, kept in clear for the operator."""
        self._waiting.append((kind, self.sealer.seal(kind, payload), team))
        if self._written is None or self._written.done():
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        async with self._lock:
            if not written.done():
                batch, self._waiting = self._waiting, []
                self._written = None
                try:
                    # no ORM session: one Core statement; on PostgreSQL not even a BEGIN and a
                    # COMMIT around it (its own transaction: one round trip, durable as before)
                    async with self.database.plain(team=None, autocommit=not self.database.is_sqlite) as tx:
                        await inbox.put(tx, self.sealer.platform, batch)
                except BaseException as err:
                    written.set_exception(err)
                    written.exception()  # retrieved here too: the others waiting may be none
                    raise
                written.set_result(None)
        await written
