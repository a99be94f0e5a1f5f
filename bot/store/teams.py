"""Teams: a Slack workspace, a Discord guild or the local shell, the unit of isolation.

A team's key is ``platform:team_id`` (``slack:T0123``, ``discord:<guild id>``,
``shell:local``), the ``team_key`` every team-scoped table carries. Its row holds its status
(``active``; ``disabled`` by the operator; ``archived`` when Deputy was removed from it) and
its settings (a JSON object: the Discord role → policy-group map, the digest channel, the
time zone). A team with no row is active with no settings of its own: the deployment's
defaults apply (a single-workspace install never needs a row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import utcnow
from bot.store.types import UTCDateTime


class TeamStatus:
    ACTIVE = "active"
    DISABLED = "disabled"  # by the operator (deputy teams disable): chat is refused
    ARCHIVED = "archived"  # Deputy was removed (GUILD_DELETE, app uninstalled): data kept


STATUSES = (TeamStatus.ACTIVE, TeamStatus.DISABLED, TeamStatus.ARCHIVED)


class TeamRow(SQLModel, table=True):
    __tablename__ = "teams"

    key: str = Field(primary_key=True, max_length=200)  # platform:team_id
    platform: str = Field(max_length=20, index=True)
    external_id: str = Field(max_length=80)  # the workspace / guild id on its platform
    name: str = Field(default="", max_length=200)
    status: str = Field(default=TeamStatus.ACTIVE, max_length=20)
    # role_groups {group: role id}, digest_channel, timezone (bot/flow/team_settings.py)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def team_key(platform: str, external_id: str) -> str:
    return f"{platform}:{external_id}"


def split_key(key: str) -> tuple[str, str]:
    """``platform:team_id`` → its two parts; ValueError for anything else."""
    platform, sep, external_id = key.partition(":")
    if not sep or not platform or not external_id or ":" in external_id:
        raise ValueError(f"{key!r} is not a team key: use platform:team_id, e.g. discord:1234")
    return platform, external_id


async def get(session: AsyncSession, key: str, *, for_update: bool = False) -> TeamRow | None:
    query = select(TeamRow).where(TeamRow.key == key)
    if for_update:
        query = query.with_for_update()
    return (await session.exec(query)).first()


async def listing(session: AsyncSession, platform: str = "") -> list[TeamRow]:
    query = select(TeamRow).order_by(col(TeamRow.key))
    if platform:
        query = query.where(TeamRow.platform == platform)
    return list((await session.exec(query)).all())


async def ensure(session: AsyncSession, key: str, name: str = "") -> tuple[TeamRow, bool]:
    """The team's row, created active with no settings of its own when missing (the
    deployment's defaults: the default policy, the global role map). Returns (row, created).
    A known team's name is refreshed; its status and settings are left as they are."""
    row = await get(session, key, for_update=True)
    if row is not None:
        if name and row.name != name:
            row.name, row.updated_at = name, utcnow()
            session.add(row)
            await session.flush()
        return row, False
    platform, external_id = split_key(key)
    row = TeamRow(key=key, platform=platform, external_id=external_id, name=name)
    session.add(row)
    await session.flush()
    return row, True


async def set_status(session: AsyncSession, row: TeamRow, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown team status {status!r}: one of {', '.join(STATUSES)}")
    row.status, row.updated_at = status, utcnow()
    session.add(row)
    await session.flush()


async def set_settings(session: AsyncSession, row: TeamRow, settings: dict[str, Any]) -> None:
    """Replace the team's settings (a new dict, so the JSON column is seen as changed)."""
    row.settings, row.updated_at = dict(settings), utcnow()
    session.add(row)
    await session.flush()
