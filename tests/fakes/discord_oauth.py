"""Discord's OAuth2 for the fake Discord (tests/fakes/discord_server.py): the authorize page a
person approves, the token exchange and the calls a user's Bearer token may make.

``GET /oauth2/authorize?response_type=code&client_id&scope&state&redirect_uri
[&code_challenge&code_challenge_method=S256]`` plays :attr:`FakeDiscordOAuth.approving`
clicking "Authorize": a 302 to the redirect URI with a fresh ``code`` and the ``state``
unchanged. An unknown client id or a redirect URI not registered is refused (400), as is a
``code_challenge_method`` other than S256 (Discord supports only that).

``POST /api/v10/oauth2/token`` takes only ``application/x-www-form-urlencoded`` (Discord's
docs: JSON is not permitted) and the client's credentials in HTTP Basic auth or the form.
It refuses as Discord does, ``{"error": …, "error_description": …}``: ``invalid_client``
(401) for a wrong id or secret; ``invalid_grant`` (400) for a code never issued, used
already, or a ``redirect_uri`` other than the one it was issued for; ``invalid_request``
(400) for a missing or wrong PKCE ``code_verifier`` when a challenge was sent, or one shorter
than 43 characters (RFC 7636's minimum, which Discord enforces). A good exchange answers
``access_token``, ``token_type: Bearer``, ``expires_in``, ``refresh_token`` and ``scope``.

A Bearer token reads ``GET /users/@me`` (scope ``identify``), ``/users/@me/guilds``
(``guilds``: the partial guilds with ``owner`` and ``permissions``) and
``/users/@me/guilds/{id}/member`` (``guilds.members.read``; 404 ``Unknown Guild`` 10004 for
a guild the person is not in); a token unknown gets 401, one without the scope 401 too.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.discord_server import FakeDiscord

CLIENT_ID = "1100000000000000001"  # the application's id, as on Discord
CLIENT_SECRET = "discord-client-secret-0123456789"
MANAGE_GUILD = 1 << 5


@dataclass
class FakeDiscordOAuth:
    approving: str = "alice"  # the person who clicks "Authorize"
    redirect_uris: set[str] = field(default_factory=set)  # registered; empty: any
    # a person's guilds where the bot is not: person → [(id, name)]
    elsewhere: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # access token → {person, scopes}
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="Unknown application")
        redirect = query.get("redirect_uri", "")
        if self.redirect_uris and redirect not in self.redirect_uris:
            return web.Response(status=400, text="Invalid OAuth2 redirect_uri")
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return web.Response(status=400, text='Unsupported "code_challenge_method"')
        code = f"dc{next(self._n)}{hashlib.sha256(str(query).encode()).hexdigest()[:20]}"
        self.codes[code] = {"person": self.approving, "redirect_uri": redirect, "used": False,
                            "scopes": set(query.get("scope", "").split()),
                            "challenge": query.get("code_challenge", "")}
        raise web.HTTPFound(redirect + ("&" if "?" in redirect else "?") + urlencode(
            {"code": code, "state": query.get("state", "")}))

    async def token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return _error(400, "invalid_request", "JSON content is not permitted")
        form = await request.post()
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return _error(401, "invalid_client", "")
        if form.get("grant_type") != "authorization_code":
            return _error(400, "unsupported_grant_type", "")
        code = self.codes.get(str(form.get("code", "")))
        if code is None or code["used"]:
            return _error(400, "invalid_grant", 'Invalid "code" in request.')
        if form.get("redirect_uri") != code["redirect_uri"]:
            return _error(400, "invalid_grant", 'Invalid "redirect_uri" in request.')
        if code["challenge"]:
            verifier = str(form.get("code_verifier", ""))
            if not verifier:
                return _error(400, "invalid_request", 'Missing "code_verifier"')
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if len(verifier) < 43 or digest != code["challenge"]:
                return _error(400, "invalid_request", 'Invalid "code_verifier"')
        code["used"] = True
        access = f"dat{next(self._n)}.{hashlib.sha256(repr(code).encode()).hexdigest()[:24]}"
        self.tokens[access] = {"person": code["person"], "scopes": code["scopes"]}
        return web.json_response({"access_token": access, "token_type": "Bearer", "expires_in": 604800,
                                  "refresh_token": f"drt{next(self._n)}", "scope": " ".join(sorted(code["scopes"]))},
                                 content_type="application/json")

    def bearer(self, fake: FakeDiscord, token: str, parts: list[str]) -> tuple[int, Any]:
        """A call with a person's Bearer token: (status, body)."""
        held = self.tokens.get(token)
        if held is None:
            return 401, {"message": "401: Unauthorized", "code": 0}
        person, scopes = held["person"], held["scopes"]
        if parts == ["users", "@me"] and "identify" in scopes:
            return 200, fake.people[person]
        if parts == ["users", "@me", "guilds"] and "guilds" in scopes:
            return 200, self.guilds_of(fake, person)
        if parts[:3] == ["users", "@me", "guilds"] and len(parts) == 5 and parts[4] == "member" \
                and "guilds.members.read" in scopes:
            if parts[3] not in {g["id"] for g in self.guilds_of(fake, person)}:
                return 404, {"message": "Unknown Guild", "code": 10004}
            return 200, fake._member(person, parts[3])
        return 401, {"message": "401: Unauthorized", "code": 0}

    def guilds_of(self, fake: FakeDiscord, person: str) -> list[dict[str, Any]]:
        """The person's guilds as ``/users/@me/guilds`` lists them (partial guild objects)."""
        found = [(fake.guild_id, "Acme")] if person in fake.member_roles else []
        found += [(gid, g["name"]) for gid, g in fake.guilds.items() if person in g["member_roles"]]
        found += self.elsewhere.get(person, [])
        return [_partial(gid, name, owner=person == _owner(fake, gid),
                         permissions=fake.permissions_of(person, gid)) for gid, name in found]


def bot_guilds(fake: FakeDiscord) -> list[dict[str, Any]]:
    """The bot's guilds, as ``/users/@me/guilds`` with the bot token lists them."""
    found = [(fake.guild_id, "Acme"), *((gid, g["name"]) for gid, g in fake.guilds.items())]
    return [_partial(gid, name, owner=False, permissions="0")
            for gid, name in found if gid not in fake.removed_guilds]


def _owner(fake: FakeDiscord, guild_id: str) -> str:
    return str(fake.guilds[guild_id]["owner"]) if guild_id in fake.guilds else "alice"


def _partial(guild_id: str, name: str, *, owner: bool, permissions: str) -> dict[str, Any]:
    return {"id": guild_id, "name": name, "icon": None, "banner": None, "owner": owner,
            "permissions": permissions, "features": [], "approximate_member_count": None}


def _error(status: int, error: str, description: str) -> web.Response:
    body: dict[str, Any] = {"error": error}
    if description:
        body["error_description"] = description
    return web.json_response(body, status=status)
