"""Each team's policy, stored as YAML with its history: every ``deputy policy set --team``
adds a version; the newest is the team's policy. Nothing is updated or deleted here, so
who set what, when, stays readable (the audit log records each change as well)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, SQLModel, col, select

from bot.store.database import Session
from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class TeamPolicyRow(SQLModel, table=True):
    __tablename__ = "team_policies"
    __table_args__ = (UniqueConstraint("team_key", "version", name="uq_team_policies_version"),)

    id: int | None = Field(default=None, primary_key=True)
    team_key: str = Field(max_length=200)
    version: int
    yaml: str
    set_by: str = Field(max_length=200)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def latest_version(session: Session, team_key: str) -> int:
    """The newest version number of the team's stored policy; 0 when it has none."""
    found = (await session.exec(select(func.max(TeamPolicyRow.version))
                                .where(col(TeamPolicyRow.team_key) == team_key))).one()
    return int(found or 0)


async def latest(session: Session, team_key: str) -> TeamPolicyRow | None:
    return (await session.exec(select(TeamPolicyRow).where(col(TeamPolicyRow.team_key) == team_key)
                               .order_by(col(TeamPolicyRow.version).desc()).limit(1))).first()


async def history(session: Session, team_key: str) -> list[TeamPolicyRow]:
    """Every version the team's policy had, oldest first."""
    return list(await session.exec(select(TeamPolicyRow).where(col(TeamPolicyRow.team_key) == team_key)
                                   .order_by(col(TeamPolicyRow.version))))


async def add(session: Session, team_key: str, yaml_text: str, set_by: str) -> TeamPolicyRow:
    """Store a new version (the caller validated it); two concurrent sets of one team cannot
    both take the same number: the unique constraint refuses the second."""
    row = TeamPolicyRow(team_key=team_key, version=await latest_version(session, team_key) + 1,
                        yaml=yaml_text, set_by=set_by)
    session.add(row)
    await session.flush()
    return row
