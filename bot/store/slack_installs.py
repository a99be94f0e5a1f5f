"""Slack workspaces that installed Deputy through "Add to Slack" (OAuth v2), the install
links not yet used, and which workspace each channel Deputy heard from belongs to.

No token is kept here: an installation row holds what may be shown (ids, names, scopes,
when its token expires); the bot, user and refresh tokens are sealed in the credential vault
(``bot.vault``), under the owner ``slack:<team>:installation``.

The install key is ``<enterprise id>:<team id>``: ``E1:`` for an Enterprise Grid org install
(one install serving every workspace of the org), ``:T1`` for a workspace outside any org,
``E1:T1`` for a workspace of an org installed on its own.

A link's ``state`` is a bearer secret until it is used, so only its SHA-256 is stored; taking
one deletes it, so a state works once even when two callbacks race.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import utcnow
from bot.store.types import TeamScoped, UTCDateTime


class SlackInstallationRow(SQLModel, table=True):
    __tablename__ = "slack_installations"

    install_key: str = Field(primary_key=True, max_length=170)
    # slack:T… for a workspace, slack:E… for an org install
    team_key: str = Field(max_length=200, index=True)
    enterprise_id: str | None = Field(default=None, max_length=80, index=True)
    team_id: str | None = Field(default=None, max_length=80)
    is_enterprise_install: bool = False
    # the installation's fields that are not secrets (slack_sdk's Installation, tokens left out)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    installed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlackInstallStateRow(SQLModel, table=True):
    __tablename__ = "slack_install_states"

    state_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class SlackChannelRow(TeamScoped, table=True):
    """A workspace Deputy heard from in a channel, learnt from the events it receives: a post
    to the channel for that workspace's team goes out with its token, from any process. A
    Slack Connect channel, shared by two workspaces, has a row for each. The row is its
    workspace's (``team_key`` ``slack:T…``): a team's export and deletion take its channels."""

    __tablename__ = "slack_channels"

    channel_id: str = Field(primary_key=True, max_length=120)
    team_id: str = Field(primary_key=True, max_length=80, index=True)
    enterprise_id: str | None = Field(default=None, max_length=80, index=True)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def install_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> str:
    return f"{enterprise_id or ''}:{'' if is_enterprise_install else team_id or ''}"


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


# -- installations ---------------------------------------------------------------------------

async def get(session: AsyncSession, key: str) -> SlackInstallationRow | None:
    return await session.get(SlackInstallationRow, key)


async def save(session: AsyncSession, key: str, *, team_key: str, enterprise_id: str | None,
               team_id: str | None, is_enterprise_install: bool,
               details: dict[str, Any]) -> SlackInstallationRow:
    row = await session.get(SlackInstallationRow, key, with_for_update=True)
    if row is None:
        row = SlackInstallationRow(install_key=key, team_key=team_key)
    row.team_key, row.enterprise_id, row.team_id = team_key, enterprise_id, team_id
    row.is_enterprise_install, row.details, row.updated_at = is_enterprise_install, dict(details), utcnow()
    session.add(row)
    await session.flush()
    return row


async def remove(session: AsyncSession, key: str) -> bool:
    result = await session.exec(delete(SlackInstallationRow).where(col(SlackInstallationRow.install_key) == key))
    return bool(result.rowcount)


async def listing(session: AsyncSession) -> list[SlackInstallationRow]:
    return list((await session.exec(select(SlackInstallationRow).order_by(col(SlackInstallationRow.install_key)))).all())


# -- install links -------------------------------------------------------------------------

async def add_state(session: AsyncSession, state: str, expires_at: datetime, now: datetime) -> None:
    """Remember a new link; expired links are swept on the way."""
    await session.exec(delete(SlackInstallStateRow).where(col(SlackInstallStateRow.expires_at) < now))
    session.add(SlackInstallStateRow(state_hash=hash_state(state), expires_at=expires_at))
    await session.flush()


async def take_state(session: AsyncSession, state: str, now: datetime) -> bool:
    """True once for a state issued and not expired; it is gone afterwards."""
    result = await session.exec(delete(SlackInstallStateRow).where(
        col(SlackInstallStateRow.state_hash) == hash_state(state),
        col(SlackInstallStateRow.expires_at) > now))
    return result.rowcount == 1


# -- channels ------------------------------------------------------------------------------

async def channel_teams(session: AsyncSession, channel_id: str) -> list[SlackChannelRow]:
    """The workspaces heard from in the channel, the first heard first."""
    query = select(SlackChannelRow).where(col(SlackChannelRow.channel_id) == channel_id)
    return list((await session.exec(query.order_by(col(SlackChannelRow.seen_at), col(SlackChannelRow.team_id)))).all())


async def learn_channel(session: AsyncSession, channel_id: str, team_id: str,
                        enterprise_id: str | None) -> None:
    row = await session.get(SlackChannelRow, (channel_id, team_id), with_for_update=True)
    if row is None:
        row = SlackChannelRow(channel_id=channel_id, team_id=team_id, team_key=f"slack:{team_id}")
    row.enterprise_id = enterprise_id
    session.add(row)
    await session.flush()


async def teams_of_enterprise(session: AsyncSession, enterprise_id: str) -> list[str]:
    """The workspaces of an org Deputy heard from (an org install serves all of them)."""
    query = select(SlackChannelRow.team_id).where(col(SlackChannelRow.enterprise_id) == enterprise_id).distinct()
    return sorted(str(t) for t in (await session.exec(query)).all())
