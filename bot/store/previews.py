"""What the read steps of a plan version returned before approval, and the hash of the
write steps resolved from it: the thing an approval of that version is bound to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.parents import team_of_version
from bot.store.tables import utcnow
from bot.store.types import TeamScoped, UTCDateTime


class PreviewRow(TeamScoped, table=True):
    __tablename__ = "plan_previews"

    plan_version_id: int = Field(primary_key=True, foreign_key="plan_versions.id")
    # step id -> output of the read steps that ran before approval
    outputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    write_hash: str = Field(max_length=64)
    note: str = ""  # what the card shows of the preview
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def save(session: AsyncSession, version_id: int, outputs: dict[str, Any], write_hash: str,
               note: str) -> None:
    row = await session.get(PreviewRow, version_id) or PreviewRow(
        team_key=await team_of_version(session, version_id), plan_version_id=version_id, write_hash=write_hash)
    row.outputs, row.write_hash, row.note = outputs, write_hash, note
    session.add(row)
    await session.flush()


async def get(session: AsyncSession, version_id: int) -> PreviewRow | None:
    return (await session.exec(select(PreviewRow).where(PreviewRow.plan_version_id == version_id))).first()
