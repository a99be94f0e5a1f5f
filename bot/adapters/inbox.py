"""The hand-off between the process that acknowledges chat requests and the one that plans.

``deputy serve --no-plan`` (the Procfile's ``web``) verifies a request, acknowledges it and
writes it to the ``inbox`` table (:mod:`bot.store.inbox`) through
:class:`bot.adapters.inbox_writer.InboxWriter`;
``deputy planner run`` reads it back through :func:`consume` and runs the adapter's work on it.
Planning's CPU then never shares a process (or the GIL) with the acknowledgements.

Each payload is sealed (AES-GCM) under a key derived from a secret both processes hold (the
platform's signing secret), with its platform and kind bound as associated data: what
people typed, and a connect form's credentials, never sit in the database in clear, and a
row moved to another kind does not open.

Writes are batched: the requests acknowledged while one insert runs go in the next one,
so a burst costs a few transactions, not one per request.

A planner leases what it takes (:func:`consume`), by the database's clock: it renews the lease
while the work runs and deletes the row once the work is done, so a planner that dies loses nothing — another takes
the row when the lease expires and runs the work again as a redo (:class:`Attempt`), which
finishes what the first attempt started instead of doing it twice. A planner that only stalled
past its lease is fenced off (:mod:`bot.store.inbox_fence`): its work stops at its next post or
record, and the new holder's attempt is the one recorded. A request whose work
fails (or kills its planner) ``max_attempts`` times is given up: marked failed, logged by
row id and kind, and its sender told. An attempt that met a busy or unreachable database
(:class:`DatabaseUnavailable`: the pool stayed full for its timeout in a burst) is not the
request's fault: it is taken again later without using up one of those attempts (up to
``BUSY_ATTEMPTS`` times), so a burst makes cards late, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.adapters.inbox_seal import Payload, Sealer
from bot.errors import DatabaseUnavailable, LeaseLost
from bot.logsetup import raised_at
from bot.store import inbox, inbox_fence
from bot.store.inbox_wake import listen

if TYPE_CHECKING:
    from bot.store.database import Database, Session

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05  # how often an idle planner looks for new requests (SQLite)
LISTEN_POLL_SECONDS = 1.0  # PostgreSQL: woken by NOTIFY; this poll is only the fallback
BATCH = 32  # rows a planner takes at once
CONCURRENCY = 16  # requests a planner works on at once
LEASE_SECONDS = 30.0  # a planner silent this long is presumed dead: its requests are taken again
MAX_ATTEMPTS = 3  # deliveries of one request before it is given up
RETRY_SECONDS = 1.0  # after a failed attempt, times the attempt's number
FAILED_RETENTION_DAYS = 14.0  # failed requests older than this are deleted by the planner
PURGE_SECONDS = 3600.0  # how often a planner deletes the failed requests past their retention
STOPPED = "planner stopped"  # last_error of a request whose planner died during each attempt
BUSY_ATTEMPTS = 20  # deliveries that met a busy database, not counted among max_attempts
BUSY_RETRY_MAX_SECONDS = 30.0  # the longest pause before such a request is taken again
BUSY = "busy"  # a request's notes: how many of its attempts met a busy database


@dataclass
class Attempt:
    """One delivery of a request to the work after its ack. ``number`` > 1 is a redo: an
    earlier attempt may have done part of the work, and ``notes`` hold what it recorded
    through :meth:`note` (ids of what it posted, never what people typed)."""

    number: int = 1
    notes: dict[str, Any] = field(default_factory=dict)
    _save: Callable[[dict[str, Any]], Awaitable[None]] | None = field(default=None, repr=False)
    _check: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)

    @property
    def redo(self) -> bool:
        return self.number > 1

    async def note(self, **found: Any) -> None:
        """Remember ``found`` for a redo of this request (committed before this returns);
        :class:`LeaseLost` if another planner took the request over meanwhile."""
        self.notes.update(found)
        if self._save is not None:
            await self._save(dict(self.notes))

    async def still_held(self) -> None:
        """Before a post the work makes itself (not through the core's chat port, which checks
        on its own): :class:`LeaseLost` if another planner took the request over."""
        if self._check is not None:
            await self._check()


Work = Callable[[str, Payload, Attempt], Awaitable[None]]
GiveUp = Callable[[str, Payload], Awaitable[None]]


def planner_id() -> str:
    """Who holds a lease: this host and process, and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class _Held:
    row_id: int
    kind: str
    attempt: int


async def consume(database: Database, sealer: Sealer, work: Work, *, concurrency: int = CONCURRENCY,
                  poll: float = POLL_SECONDS, stop: asyncio.Event | None = None,
                  lease_seconds: float = LEASE_SECONDS, max_attempts: int = MAX_ATTEMPTS,
                  give_up: GiveUp | None = None, owner: str | None = None,
                  retry_seconds: float = RETRY_SECONDS,
                  failed_retention_days: float = FAILED_RETENTION_DAYS) -> None:
    """Take requests from the inbox and run ``work(kind, payload, attempt)`` on each, at most
    ``concurrency`` at once, in arrival order; until cancelled (or ``stop`` is set).

    Each row is leased to this planner while its work runs (renewed every third of
    ``lease_seconds``) and deleted when the work returns; a row whose work raised is taken
    again after a pause, one whose lease expired (its planner died) by any planner. A row
    taken for the ``max_attempts + 1``-th time is not worked again: it is marked failed,
    logged, and ``give_up(kind, payload)`` tells its sender. Failed rows older than
    ``failed_retention_days`` are deleted at start and every ``PURGE_SECONDS``."""
    me = owner or planner_id()
    wake = asyncio.Event()
    listening = asyncio.Event()  # set while a LISTEN connection is up (PostgreSQL)
    listener = asyncio.create_task(listen(database, sealer.platform, wake, listening), name="inbox-listen")
    running: dict[asyncio.Task[None], _Held] = {}
    finished: list[int] = []
    busy: list[tuple[_Held, dict[str, Any]]] = []  # met a busy database: released by the loop
    renewed_at = asyncio.get_running_loop().time()
    purged_at: float | None = None

    async def save(row_id: int, attempt: int, progress: dict[str, Any]) -> None:
        async with database.session(all_teams=True) as session:
            if not await inbox.note(session, row_id, me, attempt, progress):
                raise LeaseLost(row_id, attempt)

    async def one(held: _Held, payload: Payload, attempt: Attempt) -> None:
        try:
            # every post and record of the work checks this lease first (bot/store/inbox_fence.py)
            with inbox_fence.holding(inbox_fence.Lease(held.row_id, me, held.attempt, lease_seconds)):
                await work(held.kind, payload, attempt)
        except LeaseLost:
            # it stalled past its lease and another planner took the row: that one finishes it
            log.warning("planner: inbox row %s (%s): attempt %d lost its lease to another planner; "
                        "stopped before posting or recording anything more", held.row_id, held.kind,
                        held.attempt)
            return
        except Exception as err:  # noqa: BLE001 - logged (class, place), recorded on the row, retried
            # the class and where it was raised, never the message: it may quote what was typed
            error = type(err).__name__
            met_busy = _busy(attempt.notes)
            if isinstance(err, DatabaseUnavailable) and met_busy < BUSY_ATTEMPTS:
                # not this request's fault, and its own transaction would wait for the same
                # full pool: the loop's next one releases it, the attempt not counted
                log.warning("planner: attempt %d of inbox row %s (%s) met a busy database (%s at %s); "
                            "taken again later, not counted as a failed attempt", held.attempt, held.row_id,
                            held.kind, error, raised_at(err))
                busy.append((held, {**attempt.notes, BUSY: met_busy + 1}))
                wake.set()
                return
            failed = held.attempt - met_busy >= max_attempts
            log.error("planner: attempt %d of inbox row %s (%s) failed: %s at %s", held.attempt, held.row_id,
                      held.kind, error, raised_at(err))
            async with database.session(all_teams=True) as session:
                if failed:
                    await inbox.fail(session, held.row_id, me, error)
                else:
                    await inbox.release(session, held.row_id, me, retry_seconds * held.attempt, error)
            if failed:
                await _given_up(held, payload, give_up, held.attempt)
            return
        finished.append(held.row_id)
        wake.set()  # delete it, and take the next, without waiting for a poll

    try:
        while stop is None or not stop.is_set():
            room = concurrency - len(running)
            if room <= 0:
                await asyncio.wait(running, timeout=lease_seconds / 3, return_when=asyncio.FIRST_COMPLETED)
            now = asyncio.get_running_loop().time()
            renew = now - renewed_at >= lease_seconds / 3
            purge = purged_at is None or now - purged_at >= PURGE_SECONDS
            done, finished[:] = list(finished), []
            releasing, busy[:] = list(busy), []
            wake.clear()  # a NOTIFY from here on wakes the next idle wait
            try:
                async with database.session(all_teams=True) as session:
                    await inbox.done(session, done, me)
                    await _release_busy(session, releasing, me, retry_seconds)
                    if renew:
                        held = [h.row_id for h in running.values()]
                        lost = set(held) - await inbox.renew(session, held, me, lease_seconds)
                        if lost:
                            log.warning("planner: the leases of inbox rows %s expired while they ran", sorted(lost))
                    if purge and (purged := await inbox.purge_failed(session, failed_retention_days)):
                        log.info("planner: deleted %d failed inbox rows older than %g days",
                                 purged, failed_retention_days)
                    rows = await inbox.take(session, sealer.platform, min(BATCH, room), me,
                                            lease_seconds) if room > 0 else []
            except DatabaseUnavailable as err:
                finished.extend(done)
                busy.extend(releasing)
                log.warning("planner: %s; trying again", err)
                await asyncio.sleep(max(poll, 1.0))
                continue
            if renew:
                renewed_at = now
            if purge:
                purged_at = now
            for row in rows:
                assert row.id is not None
                held_row = _Held(row.id, row.kind, row.attempts)
                try:
                    payload = sealer.open(row.kind, row.sealed)
                except ValueError as err:
                    log.error("planner: dropped inbox row %s (%s): %s", row.id, row.kind, err)
                    finished.append(row.id)
                    continue
                if row.attempts - _busy(row.notes()) > max_attempts:
                    # its planner died every time (a kill, an OOM): never take it again
                    log.error("planner: inbox row %s (%s): its planner stopped during each of %d attempts",
                              row.id, row.kind, max_attempts)
                    async with database.session(all_teams=True) as session:
                        await inbox.fail(session, row.id, me, STOPPED)
                    await _given_up(held_row, payload, give_up, max_attempts)
                    continue
                if row.attempts > 1:
                    log.info("planner: inbox row %s (%s): attempt %d", row.id, row.kind, row.attempts)
                attempt = Attempt(row.attempts, row.notes(), _saver(save, row.id, row.attempts),
                                  inbox_fence.checker(database, inbox_fence.Lease(row.id, me, row.attempts, lease_seconds)))
                task = asyncio.create_task(one(held_row, payload, attempt), name=f"inbox:{row.kind}")
                running[task] = held_row
                task.add_done_callback(_finished(running))
            if not rows and room > 0:
                # idle: woken by the next NOTIFY (or a finished task's delete), polling as a fallback
                idle = max(poll, LISTEN_POLL_SECONDS) if listening.is_set() else poll
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
                # that arrives as the event is set, and this loop would then never end
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle):
                        await wake.wait()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        if finished or busy:
            async with database.session(all_teams=True) as session:
                await inbox.done(session, finished, me)
                await _release_busy(session, busy, me, retry_seconds)


def _busy(notes: dict[str, Any]) -> int:
    """How many earlier attempts of a request met a busy database."""
    found = notes.get(BUSY, 0)
    return found if isinstance(found, int) else 0


async def _release_busy(session: Session, released: list[tuple[_Held, dict[str, Any]]], me: str,
                        retry_seconds: float) -> None:
    """Requests whose attempt met a busy database: taken again after a pause that grows with
    each such attempt, their count kept in their notes (a redo's notes stay as they were)."""
    for held, notes in released:
        await inbox.release(session, held.row_id, me, min(retry_seconds * notes[BUSY], BUSY_RETRY_MAX_SECONDS),
                            DatabaseUnavailable.__name__, attempt=held.attempt, notes=notes)


def _saver(save: Callable[[int, int, dict[str, Any]], Awaitable[None]],
           row_id: int, attempt: int) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def saved(progress: dict[str, Any]) -> None:
        await save(row_id, attempt, progress)
    return saved


async def _given_up(held: _Held, payload: Payload, give_up: GiveUp | None, attempts: int) -> None:
    log.error("planner: gave up inbox row %s (%s) after %d attempts; it is kept, marked failed",
              held.row_id, held.kind, attempts)
    if give_up is None:
        return
    try:
        await give_up(held.kind, payload)
    except Exception as err:  # noqa: BLE001 - logged (class, place); telling the sender is a courtesy
        log.error("planner: could not tell the sender of inbox row %s that it failed: %s at %s", held.row_id,
                  type(err).__name__, raised_at(err))



def _finished(running: dict[asyncio.Task[None], _Held]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        running.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())
    return done
