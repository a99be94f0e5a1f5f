"""Chat requests acknowledged by the web process and waiting for ``deputy planner run``.

In the Procfile's split topology the web process only verifies, acknowledges and writes
each request here; a planner process takes the rows and does the work (translation,
planning, posting the card). A row is taken under a lease (``claimed_by``, ``lease_until``),
renewed while its work runs and deleted once the work is done: a planner that dies leaves
its rows to be taken again by any planner when their lease expires, and the redo finishes
the first attempt's work (``progress`` holds what the adapter already posted; the core
finishes a goal it already created). ``attempts`` bounds the redos: a request that never
completes is marked ``failed_at`` instead of being taken forever. The payload is sealed by
the caller (:mod:`bot.adapters.inbox`): it holds what people typed, secrets included until
the core's secret guard sees them, and must never sit in the database in clear.

Not team-scoped: a row becomes a team's work only once the planner has translated it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    LargeBinary,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA
from sqlalchemy.orm import defer
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.plain_tx import PlainTx
from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class InboxRow(SQLModel, table=True):
    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20, index=True)
    kind: str = Field(max_length=40)
    sealed: bytes = Field(sa_type=LargeBinary, repr=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # the planner holding it, until when (it renews while working); None: never taken
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    # what an attempt already did that must not be done twice (e.g. the root message's ts);
    # JSON of ids only, never what people typed
    progress: str | None = Field(default=None, sa_type=Text)
    # given up after too many attempts: kept for the operator, never taken again (until
    # purge_failed removes it, after the retention)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the platform's workspace the request came from (e.g. Slack's team id), for the operator
    team: str | None = Field(default=None, max_length=40)
    # the class of the exception that failed the last attempt ("planner stopped" if its
    # process died): never the message, which may quote what people typed
    last_error: str | None = Field(default=None, max_length=120)

    def notes(self) -> dict[str, Any]:
        found = json.loads(self.progress) if self.progress else {}
        return found if isinstance(found, dict) else {}


# PostgreSQL: put() notifies this channel (payload: the platform) when its transaction commits,
# so an idle planner LISTENing wakes at once instead of polling
CHANNEL = "deputy_inbox"


Item = tuple[str, bytes] | tuple[str, bytes, str | None]


def database_now(session: AsyncSession, plus_seconds: float = 0.0) -> ColumnElement[datetime]:
    """Now (plus ``plus_seconds``) by the database's clock, as SQL: every lease is set and
    compared on it, so planners on machines whose clocks disagree still agree on who holds a
    row. PostgreSQL: ``now()`` (the transaction's start; these transactions are short).
    SQLite is a file on this machine, so this machine's clock is the database's (the store's
    clock: bot/store/clock.py)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.now() + timedelta(seconds=plus_seconds)
    return literal(utcnow() + timedelta(seconds=plus_seconds), UTCDateTime)


# PostgreSQL: the rows and the NOTIFY in one statement (the INSERT as a CTE, which PostgreSQL
# runs once whether or not it is read: a round trip fewer per batch), written once with the
# batch as arrays, so its text and SQLAlchemy's compiled form are the same for every batch.
# Built per batch from SQLAlchemy constructs (a multi-row VALUES inside a CTE), the statement
# was compiled again for every batch: ~1/3 of `web`'s CPU per request beyond bolt's
# (docs/benchmarks.md, "What web spends per request, counted"). WITH ORDINALITY ... ORDER BY:
# the ids are drawn in the batch's order.
_PUT_POSTGRESQL = text(
    "WITH queued AS (INSERT INTO inbox (platform, kind, sealed, team, received_at, attempts) "
    "SELECT :platform, u.kind, u.sealed, u.team, :now, 0 "
    "FROM unnest(:kinds, :sealed, :teams) WITH ORDINALITY AS u(kind, sealed, team, n) ORDER BY u.n "
    "RETURNING 1) SELECT pg_notify(:channel, :platform)"
).bindparams(bindparam("kinds", type_=ARRAY(String)), bindparam("sealed", type_=ARRAY(BYTEA)),
             bindparam("teams", type_=ARRAY(String)), bindparam("now", type_=UTCDateTime))


async def put(session: AsyncSession | PlainTx, platform: str, items: Sequence[Item]) -> None:
    """Queue ``(kind, sealed payload[, workspace])`` items, in this order."""
    # plain rows, not ORM objects: `web` runs this for every request it acknowledges, and
    # building, validating and flushing an ORM object per row was most of its CPU per ack
    # beside bolt's (docs/benchmarks.md, "The Procfile split")
    now = utcnow()
    connection = await session.connection()  # its transaction (if any), Core's execute
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await connection.execute(_PUT_POSTGRESQL, {
            "platform": platform, "now": now, "channel": CHANNEL, "kinds": [item[0] for item in items],
            "sealed": [item[1] for item in items], "teams": [item[2] if len(item) > 2 else None for item in items]})
        return
    await connection.execute(insert(InboxRow).values([
        {"platform": platform, "kind": item[0], "sealed": item[1], "team": item[2] if len(item) > 2 else None,
         "received_at": now, "attempts": 0} for item in items]))


async def take(session: AsyncSession, platform: str, limit: int, owner: str = "",
               lease_seconds: float = 30.0) -> list[InboxRow]:
    """Lease up to ``limit`` of the oldest takeable rows of ``platform`` to ``owner``, oldest
    first: rows never taken, or whose lease expired (their planner died), not failed."""
    takeable = (col(InboxRow.platform) == platform, col(InboxRow.failed_at).is_(None),
                or_(col(InboxRow.lease_until).is_(None), col(InboxRow.lease_until) < database_now(session)))
    # one statement: on PostgreSQL rows another planner is taking are skipped, not waited
    # for (SKIP LOCKED); SQLite has one writer at a time and ignores the clause. The choice is
    # a MATERIALIZED CTE, made once: as a plain IN (subquery) PostgreSQL may plan a nested
    # loop that runs the subquery again for each row, and each run, skipping the rows the
    # UPDATE had just leased, picked the next ones: take(limit=1) leased the whole inbox
    oldest = (select(InboxRow.id).where(*takeable).order_by(col(InboxRow.id)).limit(limit)
              .with_for_update(skip_locked=True).cte("oldest").prefix_with("MATERIALIZED"))
    taken = await session.exec(
        update(InboxRow).where(col(InboxRow.id).in_(select(oldest.c.id)), *takeable)
        .values(claimed_by=owner, lease_until=database_now(session, lease_seconds),
                attempts=col(InboxRow.attempts) + 1)
        .returning(col(InboxRow.id), col(InboxRow.kind), col(InboxRow.sealed), col(InboxRow.received_at),
                   col(InboxRow.attempts), col(InboxRow.progress))
        .execution_options(synchronize_session=False))
    rows = [InboxRow(id=id_, platform=platform, kind=kind, sealed=sealed, received_at=at, claimed_by=owner,
                     attempts=attempts, progress=progress)
            for id_, kind, sealed, at, attempts, progress in taken.all()]
    return sorted(rows, key=lambda row: row.id or 0)


async def renew(session: AsyncSession, ids: Sequence[int], owner: str, lease_seconds: float) -> set[int]:
    """Extend ``owner``'s lease on ``ids``; the ids still ours."""
    if not ids:
        return set()
    renewed = await session.exec(
        update(InboxRow).where(col(InboxRow.id).in_(ids), col(InboxRow.claimed_by) == owner)
        .values(lease_until=database_now(session, lease_seconds))
        .returning(col(InboxRow.id)).execution_options(synchronize_session=False))
    return {int(id_) for id_ in renewed.scalars().all()}


async def note(session: AsyncSession, row_id: int, owner: str, attempt: int, progress: dict[str, Any]) -> bool:
    """Record what attempt ``attempt`` did (see ``progress``); False if the row is no longer
    ours for that attempt (another planner took it over: its own notes stand)."""
    noted = await session.exec(
        update(InboxRow).where(col(InboxRow.id) == row_id, col(InboxRow.claimed_by) == owner,
                               col(InboxRow.attempts) == attempt)
        .values(progress=json.dumps(progress, sort_keys=True)).execution_options(synchronize_session=False))
    return bool(noted.rowcount == 1)


async def done(session: AsyncSession, ids: Sequence[int], owner: str) -> None:
    """The work of ``ids`` is finished: remove them (those still leased to ``owner``)."""
    if ids:
        await session.exec(delete(InboxRow).where(col(InboxRow.id).in_(ids), col(InboxRow.claimed_by) == owner)
                           .execution_options(synchronize_session=False))


async def release(session: AsyncSession, row_id: int, owner: str, after_seconds: float, error: str = "", *,
                  attempt: int | None = None, notes: dict[str, Any] | None = None) -> None:
    """The work raised (``error``: the exception's class): let any planner take the row again
    in ``after_seconds``; only if it is still ``attempt`` (when given), with ``notes`` as its
    progress (when given)."""
    which = [col(InboxRow.id) == row_id, col(InboxRow.claimed_by) == owner]
    if attempt is not None:
        which.append(col(InboxRow.attempts) == attempt)
    values: dict[str, Any] = {"lease_until": database_now(session, after_seconds), "last_error": error[:120] or None}
    if notes is not None:
        values["progress"] = json.dumps(notes, sort_keys=True)
    await session.exec(update(InboxRow).where(*which).values(**values).execution_options(synchronize_session=False))


async def fail(session: AsyncSession, row_id: int, owner: str, error: str = "") -> None:
    """Give the row up: it is kept, marked failed, and never taken again."""
    await session.exec(
        update(InboxRow).where(col(InboxRow.id) == row_id, col(InboxRow.claimed_by) == owner)
        .values(failed_at=database_now(session), lease_until=None, last_error=error[:120] or None)
        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Failed:
    """What an operator reads of a given-up request: never its sealed content."""

    id: int
    platform: str
    kind: str
    team: str | None
    attempts: int
    received_at: datetime
    failed_at: datetime
    last_error: str | None


async def failed(session: AsyncSession, limit: int = 100) -> list[Failed]:
    """The given-up requests, oldest first (at most ``limit``)."""
    found = await session.exec(  # the sealed payload is not even read
        select(InboxRow).options(defer(InboxRow.sealed), defer(InboxRow.progress))  # type: ignore[arg-type]
        .where(col(InboxRow.failed_at).is_not(None)).order_by(col(InboxRow.id)).limit(limit))
    return [Failed(row.id or 0, row.platform, row.kind, row.team, row.attempts, row.received_at, row.failed_at,
                   row.last_error) for row in found.all() if row.failed_at is not None]


async def purge_failed(session: AsyncSession, older_than_days: float) -> int:
    """Delete the requests given up more than ``older_than_days`` ago; how many."""
    before = database_now(session, -older_than_days * 86400.0)
    purged = await session.exec(
        delete(InboxRow).where(col(InboxRow.failed_at).is_not(None), col(InboxRow.failed_at) < before)
        .execution_options(synchronize_session=False))
    return int(purged.rowcount or 0)
