"""The hand-off between the process that acknowledges chat requests and the one that plans.

``deputy serve --no-plan`` (the Procfile's ``web``) verifies a request, acknowledges it and
writes it to the ``inbox`` table (:mod:`bot.store.inbox`) through :class:`InboxWriter`;
``deputy planner run`` reads it back through :func:`consume` and runs the adapter's work on it.
Planning's CPU then never shares a process (or the GIL) with the acknowledgements.

Each payload is sealed (AES-GCM) under a key derived from a secret both processes hold (the
platform's signing secret), with its platform and kind bound as associated data: what
people typed, and a connect form's credentials, never sit in the database in clear, and a
row moved to another kind does not open.

Writes are batched: the requests acknowledged while one insert runs go in the next one,
so a burst costs a few transactions, not one per request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import DatabaseUnavailable
from bot.store import inbox

if TYPE_CHECKING:
    from bot.store.database import Database

log = logging.getLogger(__name__)
Payload = dict[str, Any]
Work = Callable[[str, Payload], Awaitable[None]]
POLL_SECONDS = 0.05  # how often an idle planner looks for new requests
BATCH = 32  # rows a planner takes at once


class Sealer:
    def __init__(self, platform: str, secret: str) -> None:
        if not secret:
            raise ValueError("the inbox needs the platform's signing secret to seal requests")
        self.platform = platform
        self._aead = AESGCM(hashlib.sha256(b"deputy-inbox:" + secret.encode()).digest())

    def seal(self, kind: str, payload: Payload) -> bytes:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(payload, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, self._aad(kind))

    def open(self, kind: str, sealed: bytes) -> Payload:
        """The payload; ValueError if the row was altered or sealed under another secret."""
        try:
            plain = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(kind))
        except InvalidTag:
            raise ValueError("an inbox row that does not open with this signing secret") from None
        payload = json.loads(plain)
        if not isinstance(payload, dict):
            raise ValueError("an inbox row that is not an object")
        return payload

    def _aad(self, kind: str) -> bytes:
        return f"inbox:{self.platform}:{kind}".encode()


class InboxWriter:
    """Queues requests for a planner; :meth:`put` is awaited by the hand-off after the ack."""

    def __init__(self, database: Database, sealer: Sealer) -> None:
        self.database = database
        self.sealer = sealer
        self._waiting: list[tuple[str, bytes]] = []
        self._written: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()

    async def put(self, kind: str, payload: Payload) -> None:
        """Return once the request is committed (with whatever else was waiting)."""
        self._waiting.append((kind, self.sealer.seal(kind, payload)))
        if self._written is None or self._written.done():
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        async with self._lock:
            if not written.done():
                batch, self._waiting = self._waiting, []
                self._written = None
                try:
                    async with self.database.session(all_teams=True) as session:
                        await inbox.put(session, self.sealer.platform, batch)
                except BaseException as err:
                    written.set_exception(err)
                    written.exception()  # retrieved here too: the others waiting may be none
                    raise
                written.set_result(None)
        await written


async def consume(database: Database, sealer: Sealer, work: Work, *, concurrency: int = 16,
                  poll: float = POLL_SECONDS, stop: asyncio.Event | None = None) -> None:
    """Take requests from the inbox and run ``work(kind, payload)`` on each, at most
    ``concurrency`` at once, in arrival order; until cancelled (or ``stop`` is set)."""
    running: set[asyncio.Task[None]] = set()
    room = asyncio.Semaphore(concurrency)

    async def one(kind: str, payload: Payload) -> None:
        try:
            await work(kind, payload)
        finally:
            room.release()

    try:
        while stop is None or not stop.is_set():
            try:
                async with database.session(all_teams=True) as session:
                    rows = await inbox.take(session, sealer.platform, BATCH)
            except DatabaseUnavailable as err:
                log.warning("planner: %s; trying again", err)
                await asyncio.sleep(max(poll, 1.0))
                continue
            for row in rows:
                try:
                    payload = sealer.open(row.kind, row.sealed)
                except ValueError as err:
                    log.error("planner: dropped inbox row %s (%s): %s", row.id, row.kind, err)
                    continue
                await room.acquire()
                task = asyncio.create_task(one(row.kind, payload), name=f"inbox:{row.kind}")
                running.add(task)
                task.add_done_callback(_finished(running))
            if not rows:
                await asyncio.sleep(poll)
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def _finished(running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())
    return done
