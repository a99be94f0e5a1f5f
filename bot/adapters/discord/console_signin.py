""""Sign in with Discord" for the web console: OAuth2's authorization code grant with PKCE
(S256), scopes ``identify guilds guilds.members.read`` (Discord's developer docs, "OAuth2").

The code is traded at ``/oauth2/token`` (form-encoded, the application's id and secret in
HTTP Basic auth, the PKCE verifier); the person's token then reads who they are
(``/users/@me``), their guilds (``/users/@me/guilds``: ``owner`` and ``permissions`` there
give Manage Server, as chat's ``admin``) and, for each guild where Deputy is too (the bot's
own ``/users/@me/guilds``), their roles there (``/users/@me/guilds/{id}/member``). Groups
come from roles through the same map chat uses (``DEPUTY_DISCORD_ROLE_GROUPS``, replaced by
the guild's own ``setup role`` map in :func:`bot.flow.team_admin.admitted`). The person's
token is used for these reads only and never stored.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.adapters.discord.roles import groups_for_roles
from bot.adapters.discord.settings import DiscordSettings
from bot.chat.signin import Member
from bot.domain import Actor
from bot.errors import UserError

log = logging.getLogger(__name__)
# a person waits on the console page while the roles are read: a bound, not aiohttp's 5 min
DECISION_TIMEOUT = aiohttp.ClientTimeout(total=10)
SCOPES = "identify guilds guilds.members.read"
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
PLATFORM = "discord"


class DiscordSignIn:
    name = "discord"
    label = "Sign in with Discord"

    def __init__(self, settings: DiscordSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self._session = session
        self._api = settings.discord_api_url.rstrip("/")

    def __repr__(self) -> str:
        return f"DiscordSignIn(client_id={self.settings.client_id!r})"

    def authorize_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        return self.settings.authorize_url + "?" + urlencode({
            "response_type": "code", "client_id": self.settings.client_id, "scope": SCOPES,
            "state": state, "redirect_uri": redirect_uri, "code_challenge": challenge,
            "code_challenge_method": "S256"})

    async def people(self, code: str, redirect_uri: str, nonce: str, verifier: str) -> list[Member]:
        if not code:
            raise UserError("Discord sent no code back, so nobody was signed in.")
        token = await self._exchange(code, redirect_uri, verifier)
        person = f"Bearer {token}"
        me = await self._get("/users/@me", person)
        theirs = await self._get("/users/@me/guilds", person)
        ours = {str(g["id"]) for g in await self._get("/users/@me/guilds",
                                                      f"Bot {self.settings.token.get_secret_value()}")}
        shared = [g for g in theirs if str(g.get("id")) in ours]
        if not shared:
            raise UserError("Deputy is in none of your Discord servers, so it has nothing of yours to "
                            "show. Ask a server admin to invite Deputy first.")
        members = []
        for guild in shared:
            member = await self._get(f"/users/@me/guilds/{guild['id']}/member", person)
            members.append(Member(self._actor(me, guild, member), str(guild.get("name") or guild["id"])))
        return members

    async def current(self, actor: Actor, org: str | None = None) -> Actor | None:
        """The guild member now (the bot's ``GET /guilds/{id}/members/{user}``): their roles
        and the groups they map to; None when they left the guild."""
        path = f"/guilds/{actor.team_id}/members/{actor.user_id}"
        try:
            async with self._session.get(self._api + path, timeout=DECISION_TIMEOUT, headers={
                    "Authorization": f"Bot {self.settings.token.get_secret_value()}"}) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as err:  # down, refused, too slow: fail closed
            log.warning("console: GET %s failed: %s", path, type(err).__name__)
            raise UserError("Discord could not be reached to say which roles you hold now, so "
                            "nothing was decided. Try again in a moment.") from None
        if response.status == 404:
            return None
        if response.status != 200 or not isinstance(body, dict):
            log.warning("console: Discord answered %s to GET %s", response.status, path)
            raise UserError(f"Discord did not say which roles you hold now (HTTP {response.status}), "
                            "so nothing was decided. Try again in a moment.")
        roles = frozenset(str(r) for r in body.get("roles") or [])
        return actor.model_copy(update={"roles": roles, "groups": groups_for_roles(
            roles, self.settings.discord_role_groups)})

    def _actor(self, me: dict[str, Any], guild: dict[str, Any], member: dict[str, Any]) -> Actor:
        roles = frozenset(str(r) for r in member.get("roles") or [])
        permissions = int(guild.get("permissions") or 0)
        name = member.get("nick") or me.get("global_name") or me.get("username") or ""
        return Actor(platform=PLATFORM, team_id=str(guild["id"]), user_id=str(me["id"]),
                     display_name=str(name), roles=roles,
                     groups=groups_for_roles(roles, self.settings.discord_role_groups),
                     admin=bool(guild.get("owner")) or bool(permissions & (ADMINISTRATOR | MANAGE_GUILD)))

    async def _exchange(self, code: str, redirect_uri: str, verifier: str) -> str:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        basic = base64.b64encode(
            f"{self.settings.client_id}:{self.settings.client_secret.get_secret_value()}".encode()).decode()
        async with self._session.post(self._api + "/oauth2/token", data=form,
                                      headers={"Authorization": f"Basic {basic}"}) as response:
            body = await response.json(content_type=None)
        if response.status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            # Discord's error name only (invalid_grant …): never the code, verifier or secret
            error = str(body.get("error") if isinstance(body, dict) else "") or f"http_{response.status}"
            log.warning("console: Discord refused a sign-in's code: %s", error)
            raise UserError(f"Discord refused this sign-in ({error}), so nobody was signed in. Start again.")
        return str(body["access_token"])

    async def _get(self, path: str, authorization: str) -> Any:
        async with self._session.get(self._api + path, headers={"Authorization": authorization}) as response:
            body = await response.json(content_type=None)
        if response.status != 200:
            log.warning("console: Discord answered %s to GET %s", response.status, path)
            raise UserError(f"Discord did not answer who you are (HTTP {response.status}), so nobody "
                            "was signed in. Start again.")
        return body
