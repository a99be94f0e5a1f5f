"""The fence around a queued request's work: only the planner that holds the request's lease,
for the attempt it took, may post or record anything for it.

A planner that stalls (a long pause of its process or its machine) past its lease loses the
request to another planner, which redoes it as the next attempt. When the stalled one wakes
it must not post a second plan card or answer: so the work's lease is current in its task
(:func:`holding`, set by :func:`bot.adapters.inbox.consume`), every externally visible effect
checks it first (:func:`check`: the chat port before a post, an edit or a private message;
the start of a run), and the records of what was posted confirm it in their own transaction
(:func:`confirm`, in ``messages.remember``): the database refuses the record of a post by a
planner that lost its lease, so at most one card is recorded per version. The fencing token is
the row's ``attempts``, which every take increments: a planner holds the row only while the
row is claimed by it *for its attempt*. Either way :class:`bot.errors.LeaseLost` stops the
work; the planner logs it and leaves the row to the new holder.

What a fence cannot do: a post the stalled planner had already sent before it noticed stays
posted (the record is refused, so the redo's own post is the one recorded and edited later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import LeaseLost
from bot.store.inbox import InboxRow, database_now

if TYPE_CHECKING:
    from bot.store.database import Database


@dataclass(frozen=True)
class Lease:
    """The lease a request's work runs under: its row, the planner, the attempt (the token)."""

    row_id: int
    owner: str
    attempt: int
    seconds: float


_held: ContextVar[Lease | None] = ContextVar("deputy_inbox_lease", default=None)


@contextmanager
def holding(lease: Lease) -> Iterator[None]:
    """Run the block (one request's work, in its own task) under ``lease``."""
    token = _held.set(lease)
    try:
        yield
    finally:
        _held.reset(token)


def current() -> Lease | None:
    return _held.get()


async def confirm(session: AsyncSession) -> None:
    """In the caller's transaction: raise :class:`LeaseLost` unless the current work's lease is
    still this planner's for this attempt; if it is, renew it (by the database's clock) and keep
    the row locked until the transaction ends, so no planner takes it before what the
    transaction records is committed. Nothing to do outside a queued request's work.

    A lease that expired but was taken by nobody is still held: no other attempt exists, and
    renewing it here, under the row's lock, keeps it that way."""
    lease = _held.get()
    if lease is None:
        return
    kept = await session.exec(
        update(InboxRow).where(col(InboxRow.id) == lease.row_id, col(InboxRow.claimed_by) == lease.owner,
                               col(InboxRow.attempts) == lease.attempt, col(InboxRow.failed_at).is_(None))
        .values(lease_until=database_now(session, lease.seconds))
        .returning(col(InboxRow.id)).execution_options(synchronize_session=False))
    if kept.first() is None:
        raise LeaseLost(lease.row_id, lease.attempt)


async def check(database: Database) -> None:
    """Before an externally visible effect: :func:`confirm` in a transaction of its own."""
    if _held.get() is None:
        return
    async with database.session(all_teams=True) as session:
        await confirm(session)


def checker(database: Database, lease: Lease) -> Callable[[], Awaitable[None]]:
    """:func:`check` of ``lease``, wherever it is called from (``Attempt.still_held``)."""
    async def check_lease() -> None:
        with holding(lease):
            await check(database)
    return check_lease
