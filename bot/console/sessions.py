"""Console sessions: a signed cookie, and a CSRF token tied to it.

The cookie holds who signed in (platform, team, user, name, groups), a random session id
and an expiry, signed with HMAC-SHA256 under a key derived from the vault's master key
(:func:`bot.console.keys.console_key`): it cannot be forged or extended without the key,
and it holds no secret. It is set ``HttpOnly``, ``SameSite=Lax`` and ``Secure``. The
session id is also a row of the database (:mod:`bot.store.console_sessions`): signing out
ends that row, so every process serving the console refuses the cookie from then on; every
session also ends at its expiry. A form carries ``csrf``, an HMAC of the session id: a page of another
site cannot read it, so a form it forges is refused (403).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import Actor

COOKIE = "deputy_console"
LIFETIME = timedelta(hours=8)


@dataclass(frozen=True)
class ConsoleSession:
    actor: Actor
    sid: str
    expires: datetime
    org: str | None = None  # the platform's organisation of the team (Slack Enterprise Grid)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"deputy console cookie v1" + key).digest()
        self._csrf = hashlib.sha256(b"deputy console csrf v1" + key).digest()

    def __repr__(self) -> str:
        return "Sessions(<key hidden>)"

    def start(self, actor: Actor, now: datetime, org: str | None = None) -> tuple[ConsoleSession, str]:
        """A new session for ``actor`` (of a team in ``org``) and its cookie value."""
        session = ConsoleSession(actor, secrets.token_urlsafe(16), now + LIFETIME, org)
        body = json.dumps({"a": actor.model_dump(mode="json"), "s": session.sid, "e": int(session.expires.timestamp()),
                           "o": org}, separators=(",", ":")).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()
        return session, f"{_b64(body)}.{_b64(mac)}"

    def read(self, cookie: str | None, now: datetime) -> ConsoleSession | None:
        """The session a cookie holds; None when absent, forged or expired (whether it was
        signed out is the database's to say: :func:`bot.store.console_sessions.live`)."""
        if not cookie or "." not in cookie:
            return None
        body_text, _, mac_text = cookie.partition(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()):
            return None
        data = json.loads(body)
        expires = datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo)
        if expires <= now:
            return None
        org = data.get("o")
        return ConsoleSession(Actor.model_validate(data["a"]), str(data["s"]), expires,
                              str(org) if org else None)

    def csrf_token(self, session: ConsoleSession) -> str:
        return hmac.new(self._csrf, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: ConsoleSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), str(token))
