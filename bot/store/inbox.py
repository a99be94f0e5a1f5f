"""Chat requests acknowledged by the web process and waiting for ``deputy planner run``.

In the Procfile's split topology the web process only verifies, acknowledges and writes
each request here; a planner process takes the rows and does the work (translation,
planning, posting the card). A row is taken by deleting it, in one statement that returns
it: two planners never both get one row (at most once per request: a planner that dies
after taking a row loses that request, as an in-process hand-off would). The payload is
sealed by the caller (:mod:`bot.adapters.inbox`): it holds what people typed, secrets
included until the core's secret guard sees them, and must never sit in the database in clear.

Not team-scoped: a row becomes a team's work only once the planner has translated it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import LargeBinary, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class InboxRow(SQLModel, table=True):
    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20, index=True)
    kind: str = Field(max_length=40)
    sealed: bytes = Field(sa_type=LargeBinary, repr=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def put(session: AsyncSession, platform: str, items: Sequence[tuple[str, bytes]]) -> None:
    """Queue ``(kind, sealed payload)`` items, in this order."""
    session.add_all([InboxRow(platform=platform, kind=kind, sealed=sealed) for kind, sealed in items])


async def take(session: AsyncSession, platform: str, limit: int) -> list[InboxRow]:
    """Remove and return up to ``limit`` of the oldest rows of ``platform``, oldest first."""
    # PostgreSQL: rows another planner is taking are skipped, not waited for; SQLite has one
    # writer at a time. Either way the DELETE ... RETURNING decides who got which row.
    oldest = (select(InboxRow.id).where(col(InboxRow.platform) == platform)
              .order_by(col(InboxRow.id)).limit(limit).with_for_update(skip_locked=True))
    ids = list((await session.exec(oldest)).all())
    if not ids:
        return []
    taken = await session.exec(delete(InboxRow).where(col(InboxRow.id).in_(ids)).returning(
        col(InboxRow.id), col(InboxRow.kind), col(InboxRow.sealed), col(InboxRow.received_at)))
    rows = [InboxRow(id=id_, platform=platform, kind=kind, sealed=sealed, received_at=at)
            for id_, kind, sealed, at in taken.all()]
    return sorted(rows, key=lambda row: row.id or 0)
