"""Pending OAuth sign-ins: one row per connect link, taken (deleted) by its callback.

A link's ``state`` is a bearer secret until it is used, so only its SHA-256 is stored; the
callback hashes what the browser brings back and looks that up. Taking a row deletes it in
the same transaction, so a state (and the code it came with) works once, even when two
callbacks race: the second delete finds nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import LargeBinary, delete
from sqlmodel import Field, col, select

from bot.domain import team_of_actor_key
from bot.store.database import Database
from bot.store.types import TeamScoped, UTCDateTime


class OAuthStateRow(TeamScoped, table=True):
    __tablename__ = "oauth_states"

    state_hash: str = Field(primary_key=True, max_length=64)
    owner_key: str = Field(max_length=200)  # the person the link was made for
    integration: str = Field(max_length=80)
    # the PKCE verifier, sealed under a key derived from the state (bot.vault.oauth_connect):
    # neither this row nor the browser's URL alone gives it away
    sealed_verifier: bytes = Field(sa_type=LargeBinary, repr=False)
    # where `connect` was asked, to tell the person how it went
    platform: str = Field(max_length=20)
    channel_id: str = Field(max_length=120)
    thread_id: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


@dataclass(frozen=True)
class PendingSignIn:
    owner_key: str
    integration: str
    sealed_verifier: bytes
    platform: str
    channel_id: str
    thread_id: str | None
    expires_at: datetime

    def __repr__(self) -> str:
        return f"PendingSignIn({self.owner_key!r}, {self.integration!r}, expires {self.expires_at:%H:%M:%S})"


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def add(database: Database, state: str, pending: PendingSignIn, now: datetime) -> None:
    """Remember a new link; expired links are swept on the way."""
    # the sweep is the owner's team's: other teams' expired links go when they add one
    async with database.session(team=team_of_actor_key(pending.owner_key)) as session:
        await session.exec(delete(OAuthStateRow).where(col(OAuthStateRow.expires_at) < now))
        session.add(OAuthStateRow(
            team_key=team_of_actor_key(pending.owner_key), state_hash=hash_state(state), owner_key=pending.owner_key,
            integration=pending.integration, sealed_verifier=pending.sealed_verifier,
            platform=pending.platform, channel_id=pending.channel_id,
            thread_id=pending.thread_id, created_at=now, expires_at=pending.expires_at))


async def take(database: Database, state: str, now: datetime) -> PendingSignIn | None:
    """The sign-in ``state`` belongs to, once: None when unknown, already used or expired."""
    state_hash = hash_state(state)
    # the link arrives from the browser with no team but its state: that row says whose it is
    async with database.session(all_teams=True) as session:
        row = (await session.exec(
            select(OAuthStateRow).where(OAuthStateRow.state_hash == state_hash))).first()
        if row is None:
            return None
        pending = PendingSignIn(row.owner_key, row.integration, row.sealed_verifier, row.platform,
                                row.channel_id, row.thread_id, row.expires_at)
        removed = await session.exec(
            delete(OAuthStateRow).where(col(OAuthStateRow.state_hash) == state_hash))
        if removed.rowcount != 1:  # a concurrent callback took it first
            return None
    return pending if pending.expires_at > now else None
