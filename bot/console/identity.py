"""Signing in with the team's own identity: "Sign in with Slack" (OpenID Connect) and "Sign
in with Discord" (OAuth2). The platform half of each lives with its adapter
(``bot/adapters/slack/console_signin.py``, ``bot/adapters/discord/console_signin.py``) and is
handed to :func:`bot.console.add_console_routes` by ``deputy serve``; this module holds what
both share: the provider's shape and the state of a sign-in under way.

A sign-in under way is a random ``state`` (the browser carries it to the provider and back,
and also holds it in a cookie of its own, so a callback started in another browser is
refused), a ``nonce`` (OpenID Connect: the ID token must carry it) and a PKCE verifier
(Discord). Only the state's SHA-256 is stored, as a pending sign-in of the OAuth states table
(:mod:`bot.store.oauth_states`), with the nonce and verifier sealed under a key derived from
the state; taking the row deletes it, so a state works once and for :data:`STATE_LIFETIME`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.chat.signin import Member
from bot.domain import Actor
from bot.store import oauth_states
from bot.store.database import Database

STATE_LIFETIME = timedelta(minutes=10)
STATE_COOKIE = "deputy_console_state"
# pending sign-ins are stored under these kinds (no integration has such a name)
KIND = "console-signin-{}"
PICK = "console-pick"


__all__ = ["Member", "begin", "offer", "picked", "resume"]


@dataclass(frozen=True)
class Started:
    state: str
    nonce: str
    verifier: str

    @property
    def challenge(self) -> str:
        """PKCE S256 (RFC 7636): the verifier's SHA-256, base64url without padding."""
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def __repr__(self) -> str:
        return "Started(<secrets hidden>)"


def _key(state: str) -> bytes:
    return hashlib.sha256(b"deputy console sign-in v1" + state.encode()).digest()


def _seal(state: str, data: object) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_key(state)).encrypt(nonce, json.dumps(data).encode(), b"console")


def _open(state: str, sealed: bytes) -> object:
    return json.loads(AESGCM(_key(state)).decrypt(sealed[:12], sealed[12:], b"console"))


async def begin(database: Database, provider: str, now: datetime) -> Started:
    # a verifier of 43+ characters: RFC 7636's minimum, which Discord enforces
    started = Started(secrets.token_urlsafe(32), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
    await oauth_states.add(database, started.state, oauth_states.PendingSignIn(
        owner_key="console", integration=KIND.format(provider),
        sealed_verifier=_seal(started.state, [started.nonce, started.verifier]), platform=provider,
        channel_id="console", thread_id=None, expires_at=now + STATE_LIFETIME), now)
    return started


async def resume(database: Database, provider: str, state: str, now: datetime) -> Started | None:
    """The sign-in ``state`` started, once; None when unknown, used, expired or another
    provider's."""
    if not state:
        return None
    pending = await oauth_states.take(database, state, now)
    if pending is None or pending.integration != KIND.format(provider):
        return None
    sealed: list[str] = _open(state, pending.sealed_verifier)  # type: ignore[assignment]
    return Started(state, str(sealed[0]), str(sealed[1]))


async def offer(database: Database, people: list[Member], now: datetime) -> str:
    """Keep the teams a person may sign in to while they pick one; the token to pick with."""
    token = secrets.token_urlsafe(32)
    await oauth_states.add(database, token, oauth_states.PendingSignIn(
        owner_key="console", integration=PICK,
        sealed_verifier=_seal(token, [[p.actor.model_dump(mode="json"), p.team_name] for p in people]),
        platform=people[0].actor.platform,
        channel_id="console", thread_id=None, expires_at=now + STATE_LIFETIME), now)
    return token


async def picked(database: Database, token: str, team_id: str, now: datetime) -> Actor | None:
    """The person in the team they picked, once; None for a token unknown, used or expired,
    or a team that was not offered."""
    if not token:
        return None
    pending = await oauth_states.take(database, token, now)
    if pending is None or pending.integration != PICK:
        return None
    offered = [Actor.model_validate(p[0]) for p in _open(token, pending.sealed_verifier)]  # type: ignore[attr-defined]
    return next((p for p in offered if p.team_id == team_id), None)
