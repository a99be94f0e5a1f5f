"""What was said in a goal's thread: the requester's replies and others' suggestions."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.database import insert_once
from bot.store.parents import team_of_goal
from bot.store.tables import PlanRow, PlanVersionRow, ThreadMessageRow

SUGGESTED = "suggested"


async def add_thread_message(session: AsyncSession, goal_id: int, author: str, text: str, *,
                             author_key: str | None = None, event_id: str | None = None,
                             status: str = "") -> ThreadMessageRow | None:
    """The stored message, or None when this platform event was stored already (a replay)."""
    if event_id is not None:
        existing = (await session.exec(select(ThreadMessageRow.id).where(
            ThreadMessageRow.goal_id == goal_id, ThreadMessageRow.source_event_id == event_id))).first()
        if existing is not None:
            return None
    row = ThreadMessageRow(team_key=await team_of_goal(session, goal_id), goal_id=goal_id, author=author, author_key=author_key,
                           source_event_id=event_id, status=status, text=text)
    # None: a concurrent delivery of the same event won the race
    return row if await insert_once(session, row) else None


async def thread_history(session: AsyncSession, goal_id: int) -> list[tuple[str, str]]:
    """What was said in the thread, for planning: suggestions nobody accepted are left out."""
    rows = await session.exec(select(ThreadMessageRow).where(
        ThreadMessageRow.goal_id == goal_id, ThreadMessageRow.status != SUGGESTED)
        .order_by(col(ThreadMessageRow.id)))
    return [(r.author, r.text) for r in rows]


async def pending_suggestion(session: AsyncSession, goal_id: int) -> ThreadMessageRow | None:
    """The newest suggestion of a goal nobody has accepted yet."""
    return (await session.exec(select(ThreadMessageRow).where(
        ThreadMessageRow.goal_id == goal_id, ThreadMessageRow.status == SUGGESTED)
        .order_by(col(ThreadMessageRow.id).desc()))).first()


async def message_for_update(session: AsyncSession, message_id: int) -> ThreadMessageRow | None:
    """A message, its row held until the session ends."""
    return await session.get(ThreadMessageRow, message_id, with_for_update=True)


async def set_status(session: AsyncSession, message: ThreadMessageRow, status: str) -> bool:
    """Move a message on from the status it was read with; False, nothing written, when
    another transaction moved it first (two people accepting one suggestion at once: on
    SQLite the read takes no row lock). One UPDATE, as the ORM's flush was."""
    moved = await session.exec(
        update(ThreadMessageRow).where(col(ThreadMessageRow.id) == message.id,
                                       col(ThreadMessageRow.status) == message.status)
        .values(status=status).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    set_committed_value(message, "status", status)
    return True


async def answered(session: AsyncSession, goal_id: int, event_id: str) -> bool:
    """Was the stored reply of ``event_id`` answered: a plan version, or a message of Deputy's
    in the thread, came after it? (A reply delivered again after its process died mid-way.)"""
    reply = (await session.exec(select(ThreadMessageRow).where(
        ThreadMessageRow.goal_id == goal_id, ThreadMessageRow.source_event_id == event_id))).first()
    if reply is None:
        return False
    later_version = (await session.exec(select(PlanVersionRow.id).join(
        PlanRow, col(PlanRow.id) == col(PlanVersionRow.plan_id)).where(
        PlanRow.goal_id == goal_id, col(PlanVersionRow.created_at) > reply.created_at))).first()
    later_answer = (await session.exec(select(ThreadMessageRow.id).where(
        ThreadMessageRow.goal_id == goal_id, col(ThreadMessageRow.id) > (reply.id or 0),
        col(ThreadMessageRow.author_key).is_(None)))).first()
    return later_version is not None or later_answer is not None
