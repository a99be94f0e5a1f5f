"""Where Deputy posted plan cards, so any process can edit them later."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat.port import MessageRef
from bot.store.parents import team_of_goal
from bot.store.tables import ChatMessageRow


async def remember(session: AsyncSession, goal_id: int, version_id: int | None, kind: str,
                   ref: MessageRef) -> None:
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
