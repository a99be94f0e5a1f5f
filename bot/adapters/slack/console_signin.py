""""Sign in with Slack" for the web console: OpenID Connect against Slack
(docs.slack.dev "Sign in with Slack"; discovery at slack.com/.well-known/openid-configuration).

The browser goes to ``/openid/connect/authorize`` (``response_type=code``, scopes ``openid
profile email``, the state and a nonce); the code comes back and is traded with the Web API
method ``openid.connect.token`` (the app's client id and secret, the same redirect URI) for
an ID token. The ID token comes straight from Slack's token endpoint over TLS, so its issuer,
audience, expiry and nonce are checked but not its signature (OpenID Connect Core 3.1.3.7:
TLS server validation may stand in for it on this channel). Its claims
``https://slack.com/team_id`` and ``https://slack.com/user_id`` name the person; the person
then is read as chat reads them (:class:`ActorDirectory`: users.info and the workspace's user
groups, with the workspace's own bot token), so they have the same groups in both. A
workspace where Deputy is not installed is refused. Slack's authorize endpoint supports no
PKCE (its discovery names no ``code_challenge_methods_supported``): the state and nonce
protect this flow.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.identity import ActorDirectory
from bot.adapters.slack.port import ChatPostFailed, Clients, error_code, make_client
from bot.adapters.slack.settings import SlackSettings
from bot.adapters.slack.workspaces import NotInstalled
from bot.chat.signin import Member
from bot.domain import Actor
from bot.errors import UserError
from bot.store.database import Database
from bot.vault import CredentialStore

log = logging.getLogger(__name__)
# slack_sdk logs each request's form and each response body at DEBUG: for this client that is
# the sign-in code, the person's token and their ID token, so its log stops at INFO
SDK_LOG = logging.getLogger(__name__ + ".web_api")
SDK_LOG.setLevel(logging.INFO)
ISSUER = "https://slack.com"
SCOPES = "openid profile email"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"
ENTERPRISE_CLAIM = "https://slack.com/enterprise_id"
TEAM_NAME_CLAIM = "https://slack.com/team_name"
LEEWAY_SECONDS = 60


def claims_of(id_token: str) -> dict[str, Any]:
    """The payload of a JWT (header.payload.signature), unverified: see the module's note."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise UserError("Slack's answer held no usable ID token, so nobody was signed in.")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise UserError("Slack's answer held no usable ID token, so nobody was signed in.") from None
    if not isinstance(payload, dict):
        raise UserError("Slack's answer held no usable ID token, so nobody was signed in.")
    return payload


class SlackSignIn:
    name = "slack"
    label = "Sign in with Slack"

    def __init__(self, settings: SlackSettings, client: AsyncWebClient, directory: ActorDirectory,
                 workspaces: Clients) -> None:
        self.settings = settings
        self._client = client  # no token: openid.connect.token authenticates with the app's id and secret
        self._directory = directory
        self._workspaces = workspaces

    def __repr__(self) -> str:
        return f"SlackSignIn(client_id={self.settings.client_id!r})"

    def authorize_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        return self.settings.openid_url + "?" + urlencode({
            "response_type": "code", "scope": SCOPES, "client_id": self.settings.client_id,
            "state": state, "nonce": nonce, "redirect_uri": redirect_uri})

    async def people(self, code: str, redirect_uri: str, nonce: str, verifier: str) -> list[Member]:
        if not code:
            raise UserError("Slack sent no code back, so nobody was signed in.")
        try:
            answer = await self._client.openid_connect_token(
                client_id=self.settings.client_id, client_secret=self.settings.client_secret.get_secret_value(),
                code=code, redirect_uri=redirect_uri, grant_type="authorization_code")
        except SlackApiError as err:
            # Slack's error code only (invalid_code, bad_redirect_uri …): never the code or secret
            log.warning("console: openid.connect.token refused: %s", error_code(err))
            raise UserError(f"Slack refused this sign-in ({error_code(err)}), so nobody was "
                            "signed in. Start again.") from None
        claims = claims_of(str(answer.get("id_token") or ""))
        self._check(claims, nonce)
        team_id, user_id = str(claims.get(TEAM_CLAIM) or ""), str(claims.get(USER_CLAIM) or "")
        if not team_id or not user_id:
            raise UserError("Slack's ID token named no workspace and person, so nobody was signed in.")
        enterprise = claims.get(ENTERPRISE_CLAIM) or None
        team_name = str(claims.get(TEAM_NAME_CLAIM) or team_id)
        try:
            await self._workspaces.client_for_team(team_id, enterprise)
        except ChatPostFailed:
            raise UserError(f"Deputy is not installed in your Slack workspace {team_name}, so it has "
                            "nothing of yours to show. Ask an admin to add Deputy to Slack first.") from None
        actor = await self._directory.actor(team_id, user_id, (team_id, enterprise))
        if not actor.display_name and claims.get("name"):
            actor = actor.model_copy(update={"display_name": str(claims["name"])})
        return [Member(actor, team_name, enterprise)]

    async def current(self, actor: Actor, org: str | None = None) -> Actor | None:
        try:
            # the org as at sign-in: an org-wide install (Enterprise Grid) is found under it only
            return await self._directory.current(actor.team_id, actor.user_id, (actor.team_id, org))
        except (SlackApiError, ChatPostFailed) as err:
            code = error_code(err) if isinstance(err, SlackApiError) else err.code
            log.warning("console: could not read %s's groups from Slack: %s", actor.key, code)
            raise UserError(f"Slack did not say which groups you are in now ({code}), so nothing was "
                            "decided. Try again in a moment.") from None

    def _check(self, claims: dict[str, Any], nonce: str) -> None:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        problem = ("its issuer is not Slack" if claims.get("iss") != ISSUER else
                   "it was issued to another app" if self.settings.client_id not in audiences else
                   "it has expired" if float(claims.get("exp") or 0) + LEEWAY_SECONDS < time.time() else
                   "its nonce is not this sign-in's" if claims.get("nonce") != nonce else "")
        if problem:
            log.warning("console: a Slack ID token was refused: %s", problem)
            raise UserError(f"Slack's ID token was refused ({problem}), so nobody was signed in.")


def slack_signin(settings: SlackSettings, database: Database, vault: CredentialStore | None,
                 session: aiohttp.ClientSession, default_timezone: str = "UTC") -> SlackSignIn | None:
    """"Sign in with Slack" when the app's client id and secret are set: for the people of the
    workspaces that installed the distributed app, or of the bot token's one workspace (with
    SLACK_BOT_TOKEN too). None without them."""
    if not settings.signs_in:
        return None
    workspaces: Clients
    if settings.distributed:
        from bot.adapters.slack.distribution import build_distribution  # lazy, as serve does

        workspaces = build_distribution(settings, database, vault, session).workspaces
    else:
        workspaces = TokenWorkspace(make_client(settings, session))
    return SlackSignIn(settings, AsyncWebClient(base_url=settings.base_url, session=session, logger=SDK_LOG),
                       ActorDirectory(workspaces, default_timezone, fresh_seconds=settings.groups_fresh_seconds),
                       workspaces)


class TokenWorkspace:
    """The bot token's one workspace (``auth.test`` names it, read once): another
    workspace's person is not Deputy's to sign in."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._team_id = ""

    async def client_for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        if not self._team_id:
            try:
                self._team_id = str((await self.client.auth_test()).get("team_id") or "")
            except SlackApiError as err:
                log.warning("console: auth.test failed: %s", error_code(err))
                raise NotInstalled(f"workspace {team_id}: the bot token was refused") from None
        if team_id != self._team_id:
            raise NotInstalled(f"workspace {team_id}")
        return self.client

    async def client_for_channel(self, channel_id: str, team_key: str | None = None) -> AsyncWebClient:
        return self.client
