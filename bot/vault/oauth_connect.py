"""The two halves of an OAuth connect: making the link, and what its callback does.

Making the link stores a pending sign-in bound to the person who asked; the callback takes
it (once), exchanges the code with the PKCE verifier and stores the tokens in the vault under
that person. Nothing here trusts the browser about *who* is connecting: only the state says.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.domain import Actor, Where
from bot.errors import TransientError, UserError
from bot.store import oauth_states
from bot.store.database import Database
from bot.store.oauth_states import PendingSignIn
from bot.vault.oauth import (
    STATE_TTL,
    OAuthProvider,
    OAuthRefused,
    authorize_url,
    exchange_code,
    new_state,
    pkce_pair,
)
from bot.vault.store import CredentialStore

log = logging.getLogger(__name__)


class SignInRefused(UserError):
    """The callback cannot be honoured: unknown, used or expired state, a declined consent, or
    a code the provider would not exchange. ``who`` is set when the state was genuine."""

    def __init__(self, message: str, who: Connected | None = None) -> None:
        super().__init__(message)
        self.who = who


@dataclass(frozen=True)
class Connected:
    actor: Actor
    where: Where
    integration: str


async def start(database: Database, provider: OAuthProvider, actor: Actor, where: Where,
                now: datetime) -> str:
    """A one-time link for ``actor`` to the provider's consent screen."""
    state = new_state()
    verifier, challenge = pkce_pair()
    await oauth_states.add(database, state, PendingSignIn(
        owner_key=actor.key, integration=provider.integration,
        sealed_verifier=_seal_verifier(state, verifier),
        platform=where.platform, channel_id=where.channel_id, thread_id=where.thread_id,
        expires_at=now + STATE_TTL), now)
    log.info("oauth: made a %s connect link for %s", provider.integration, actor.key)
    return authorize_url(provider, state, challenge)


async def finish(database: Database, vault: CredentialStore,
                 providers: Callable[[str], OAuthProvider | None], state: str,
                 code: str | None, now: datetime) -> Connected:
    """Honour a callback; SignInRefused (nothing stored) when it cannot be. ``providers`` gives
    the OAuth set-up of an integration by name (None: not configured any more)."""
    pending = await oauth_states.take(database, state, now) if state else None
    if pending is None:
        log.warning("oauth: a callback came with an unknown, used or expired state")
        raise SignInRefused("This connect link is not valid any more (it works once, for ten "
                            "minutes). Ask Deputy for a new one with `connect INTEGRATION`.")
    connected = Connected(_actor(pending.owner_key), Where(
        platform=pending.platform, channel_id=pending.channel_id, thread_id=pending.thread_id),
        pending.integration)
    name = pending.integration
    if not code:
        raise SignInRefused(f"{name} was not connected: the sign-in was declined or cancelled. "
                            "Nothing was stored.", connected)
    provider = providers(name)
    if provider is None:
        raise SignInRefused(f"OAuth for {name} is not configured here any more.", connected)
    try:
        tokens = await exchange_code(provider, code, _open_verifier(state, pending.sealed_verifier),
                                     now)
    except OAuthRefused as err:
        raise SignInRefused(f"{name} was not connected: {err}. Nothing was stored; try "
                            f"`connect {name}` again.", connected) from None
    except TransientError:
        raise SignInRefused(f"{name} was not connected: I could not reach {provider.title} to "
                            f"finish. Nothing was stored; try `connect {name}` again in a moment.",
                            connected) from None
    await vault.put(pending.owner_key, pending.integration, tokens.fields())
    log.info("oauth: stored the %s tokens of %s", pending.integration, pending.owner_key)
    return connected


def _state_key(state: str) -> bytes:
    # the table keeps SHA-256(state) as its id; this is a different hash, so the id gives no key
    return hashlib.sha256(b"deputy-oauth-verifier:" + state.encode()).digest()


def _seal_verifier(state: str, verifier: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_state_key(state)).encrypt(nonce, verifier.encode(), b"pkce")


def _open_verifier(state: str, sealed: bytes) -> str:
    try:
        return AESGCM(_state_key(state)).decrypt(sealed[:12], sealed[12:], b"pkce").decode()
    except (InvalidTag, ValueError):
        # the state matched by hash, so only a changed row gets here
        raise SignInRefused("This connect link's record was altered; nothing was stored.") from None


def _actor(owner_key: str) -> Actor:
    platform, team_id, user_id = owner_key.split(":", 2)
    return Actor(platform=platform, team_id=team_id, user_id=user_id)
