"""Web console sessions, one row each, so signing out holds in every process.

A session's cookie is signed (bot/console/sessions.py) and names a random session id; only
its SHA-256 is stored here, with the person and the expiry. A cookie is honoured only while
its row exists, is not ended and has not expired: *Sign out* ends the row, and every
``deputy serve`` reading this database refuses the cookie from then on.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Field, col, select

from bot.domain import team_of_actor_key
from bot.store.database import Database
from bot.store.types import TeamScoped, UTCDateTime


class ConsoleSessionRow(TeamScoped, table=True):
    __tablename__ = "console_sessions"

    sid_hash: str = Field(primary_key=True, max_length=64)
    actor_key: str = Field(max_length=200)
    via: str = Field(default="link", max_length=20)  # link, slack, discord
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


async def start(database: Database, sid: str, actor_key: str, via: str, now: datetime,
                expires_at: datetime) -> None:
    """Remember a new session; the team's expired ones are swept on the way."""
    team = team_of_actor_key(actor_key)
    async with database.session(team=team) as session:
        await session.exec(delete(ConsoleSessionRow).where(col(ConsoleSessionRow.expires_at) < now))
        session.add(ConsoleSessionRow(team_key=team, sid_hash=_hash(sid), actor_key=actor_key, via=via,
                                      created_at=now, expires_at=expires_at))


async def live(database: Database, sid: str, actor_key: str, now: datetime) -> bool:
    """True while the session exists for this person, is not ended and has not expired."""
    async with database.session(team=team_of_actor_key(actor_key)) as session:
        row = (await session.exec(select(ConsoleSessionRow).where(
            ConsoleSessionRow.sid_hash == _hash(sid)))).first()
    return (row is not None and row.actor_key == actor_key and row.ended_at is None
            and row.expires_at > now)


async def end(database: Database, sid: str, actor_key: str, now: datetime) -> None:
    async with database.session(team=team_of_actor_key(actor_key)) as session:
        await session.exec(update(ConsoleSessionRow).where(
            col(ConsoleSessionRow.sid_hash) == _hash(sid)).values(ended_at=now))
