"""Where Deputy posted plan cards, so any process can edit them later, and which of its
answers without a card (a question, "I can't") reached the thread."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat.port import MessageRef
from bot.store import inbox_fence
from bot.store.parents import team_of_goal
from bot.store.tables import ChatMessageRow, ThreadMessageRow

ANSWER = "answer"  # a question or an "I can't" posted in a goal's thread


async def remember(session: AsyncSession, goal_id: int, version_id: int | None, kind: str,
                   ref: MessageRef) -> None:
    """Record a message posted for goal ``goal_id``; refused (:class:`bot.errors.LeaseLost`)
    when the planner that posted it lost its request's lease meanwhile: the one that took the
    request over records its own (bot/store/inbox_fence.py)."""
    await inbox_fence.confirm(session)
    session.add(ChatMessageRow(team_key=await team_of_goal(session, goal_id), goal_id=goal_id, plan_version_id=version_id, kind=kind,
                               platform=ref.platform, channel_id=ref.channel_id,
                               message_id=ref.message_id))
    await session.flush()


async def card_of(session: AsyncSession, version_id: int) -> MessageRef | None:
    row = (await session.exec(select(ChatMessageRow).where(
        ChatMessageRow.plan_version_id == version_id, ChatMessageRow.kind == "plan_card")
        .order_by(col(ChatMessageRow.id).desc()))).first()
    if row is None:
        return None
    return MessageRef(platform=row.platform, channel_id=row.channel_id, message_id=row.message_id,
                      team=row.team_key)


async def unposted_answer(session: AsyncSession, goal_id: int) -> ThreadMessageRow | None:
    """Deputy's newest thread message of ``goal_id`` (a question or an "I can't") when no
    answer was recorded as posted after it was stored: its process died before the post."""
    said = (await session.exec(select(ThreadMessageRow).where(
        ThreadMessageRow.goal_id == goal_id, col(ThreadMessageRow.author_key).is_(None))
        .order_by(col(ThreadMessageRow.id).desc()))).first()
    if said is None:
        return None
    posted = (await session.exec(select(ChatMessageRow.id).where(
        ChatMessageRow.goal_id == goal_id, ChatMessageRow.kind == ANSWER,
        col(ChatMessageRow.created_at) >= said.created_at))).first()
    return None if posted is not None else said
