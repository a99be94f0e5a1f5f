"""One-time local sign-in links (``deputy console``) for the embedded default.

A link carries a random token; only its SHA-256 is stored (as a pending sign-in of the
OAuth states table, :mod:`bot.store.oauth_states`, under the name ``deputy-console``), with
the person it was made for and an expiry. Following it takes the row: a link works once,
and not after :data:`LINK_LIFETIME`. No password exists anywhere.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta

from bot.domain import Actor
from bot.store import oauth_states
from bot.store.database import Database

LINK_LIFETIME = timedelta(minutes=10)
SIGNIN_PATH = "/console/signin"
# the pending-sign-in kind these links are stored under: no integration has this name
KIND = "deputy-console"


def local_person(name: str, timezone: str = "UTC") -> Actor:
    """``alice`` (the shell's person) or a full key ``slack:T123:U456`` (a chat person)."""
    if name.count(":") >= 2:
        platform, team, user = name.split(":", 2)
        return Actor(platform=platform, team_id=team, user_id=user, timezone=timezone)
    return Actor(platform="shell", team_id="local", user_id=name.lower(), display_name=name,
                 timezone=timezone)


async def make_link(database: Database, actor: Actor, base_url: str, now: datetime) -> str:
    """A sign-in link for ``actor``, good once for :data:`LINK_LIFETIME`."""
    token = secrets.token_urlsafe(32)
    who = json.dumps(actor.model_dump(mode="json")).encode()
    await oauth_states.add(database, token, oauth_states.PendingSignIn(
        owner_key=actor.key, integration=KIND, sealed_verifier=who, platform=actor.platform,
        channel_id="console", thread_id=None, expires_at=now + LINK_LIFETIME), now)
    return f"{base_url.rstrip('/')}{SIGNIN_PATH}?token={token}"


async def redeem(database: Database, token: str, now: datetime) -> Actor | None:
    """The person a link was made for, once; None for an unknown, used or expired link."""
    if not token:
        return None
    pending = await oauth_states.take(database, token, now)
    if pending is None or pending.integration != KIND:
        return None
    return Actor.model_validate(json.loads(pending.sealed_verifier))
