"""Memories Deputy offers to keep after a person taught it something: a question of Deputy's
they answered, or the same change they made to two plans.

A proposal is one row per (team, person, statement): asked once, it is never asked again —
whether it was remembered, refused, or is still waiting. A change seen once is kept as
``seen`` (nothing is shown); a second time, on another goal, it becomes ``proposed``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat.port import MessageRef
from bot.store.tables import utcnow
from bot.store.types import UTCDateTime

SEEN = "seen"  # a change made once: not proposed yet
PROPOSED = "proposed"  # shown with [Remember] [No]
REMEMBERED = "remembered"
DECLINED = "declined"


class MemoryProposalRow(SQLModel, table=True):
    __tablename__ = "memory_proposals"
    __table_args__ = (UniqueConstraint("team_key", "taught_by", "statement", name="uq_memory_proposals_once"),)

    id: int | None = Field(default=None, primary_key=True)
    team_key: str = Field(max_length=200)  # platform:team
    channel_id: str = Field(max_length=120)  # where it was learned; the memory is this channel's
    statement: str = Field(max_length=500)  # what `remember` is given, lower-cased for the key
    text: str  # the statement as shown
    taught_by: str = Field(max_length=200)  # the person whose words it is: only they decide
    taught_by_name: str = Field(default="", max_length=200)
    source_message: str = Field(default="", max_length=200)  # the answer's or the change's event id
    goal_id: int  # the goal it was learned on
    reason: str = ""  # "your answer to …", "you changed … twice"
    status: str = Field(default=PROPOSED, max_length=20)
    memory_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the message holding the buttons, so a decision can take them away
    platform: str = Field(default="", max_length=20)
    message_channel: str = Field(default="", max_length=120)
    message_id: str = Field(default="", max_length=120)


async def find(session: AsyncSession, team_key: str, taught_by: str, statement: str,
               *, for_update: bool = False) -> MemoryProposalRow | None:
    query = select(MemoryProposalRow).where(
        MemoryProposalRow.team_key == team_key, MemoryProposalRow.taught_by == taught_by,
        MemoryProposalRow.statement == statement.lower())
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def add(session: AsyncSession, row: MemoryProposalRow) -> MemoryProposalRow | None:
    """Store a new proposal (or a change seen once); None when this person was already
    asked about this statement (or another process stored it first)."""
    row.statement = row.statement.lower()
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the unique key: asked before, or stored by a concurrent delivery
        return None
    return row


async def get(session: AsyncSession, proposal_id: int, *, for_update: bool = False) -> MemoryProposalRow | None:
    query = select(MemoryProposalRow).where(MemoryProposalRow.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def save(session: AsyncSession, row: MemoryProposalRow) -> None:
    session.add(row)
    await session.flush()


async def decide(session: AsyncSession, row: MemoryProposalRow, status: str, memory_id: int | None = None) -> bool:
    """Record the answer to a proposal still waiting for one; False, nothing written, when
    another click answered it since it was read (on SQLite a read takes no row lock, so both
    of a double click may read it as proposed). One UPDATE, as the ORM's flush was."""
    values = {"status": status, "memory_id": memory_id, "decided_at": utcnow()}
    decided = await session.exec(
        update(MemoryProposalRow).where(col(MemoryProposalRow.id) == row.id,
                                        col(MemoryProposalRow.status) == PROPOSED)
        .values(**values).execution_options(synchronize_session=False))
    if decided.rowcount != 1:
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True


async def set_message(session: AsyncSession, proposal_id: int, ref: MessageRef) -> None:
    row = await get(session, proposal_id, for_update=True)
    if row is None:
        return
    row.platform, row.message_channel, row.message_id = ref.platform, ref.channel_id, ref.message_id
    await save(session, row)


def message_of(row: MemoryProposalRow) -> MessageRef | None:
    if not row.message_id:
        return None
    return MessageRef(platform=row.platform, channel_id=row.message_channel, message_id=row.message_id,
                      team=row.team_key)


async def erase_person(session: AsyncSession, person: str) -> int:
    """Delete every offer made to ``person`` (they hold the person's words): a privacy request."""
    rows = (await session.exec(select(MemoryProposalRow).where(MemoryProposalRow.taught_by == person))).all()
    for row in rows:
        await session.delete(row)
    await session.flush()
    return len(rows)
