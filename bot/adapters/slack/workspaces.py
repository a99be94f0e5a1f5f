"""Which token speaks to which workspace.

One workspace (``SLACK_BOT_TOKEN``): :class:`OneWorkspace`, the same client everywhere, as
before distribution existed. The distributed app (``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET``,
installed with "Add to Slack"): :class:`InstalledWorkspaces` finds the installation of the
workspace (or of its Enterprise Grid org), refreshes a rotating token before it expires
(``oauth.v2.access`` with ``grant_type=refresh_token``, saved sealed again), and hands out a
client with that workspace's bot token. A post goes to a channel for a Deputy team: the
workspaces Deputy hears from in each channel are learnt from the events it receives there
and kept in the database (``slack_channels``, one row per workspace and channel), so a
worker in another process posts with the right token too. In a Slack Connect channel,
shared by two workspaces, a post for one workspace's team goes out with that workspace's
token; a post for no team, or for a team never heard in the channel, with the token of the
workspace heard there last in this process, else first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import aiohttp
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.authorization.authorize_result import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.internals import extract_channel_id, extract_enterprise_id, extract_team_id
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.events import team_of
from bot.adapters.slack.installs import DeputyInstallationStore, OnLoop
from bot.adapters.slack.port import ChatPostFailed, make_client
from bot.adapters.slack.settings import SlackSettings
from bot.store import slack_installs
from bot.store.database import Database

log = logging.getLogger(__name__)
# a rotating token is refreshed when it has less than this left (Slack's last 12 hours)
ROTATE_MINUTES = 120
CACHE_SECONDS = 60.0
Payload = dict[str, Any]


def where_from(body: Payload) -> tuple[str | None, str | None, str | None]:
    """(channel, workspace the request is for, its org) of a Slack request, as bolt reads them."""
    return extract_channel_id(body), extract_team_id(body), extract_enterprise_id(body)


def host_of(body: Payload) -> tuple[str, str | None]:
    """The workspace (and org) a request came for: whose token answers it."""
    _, team, enterprise = where_from(body)
    return team or team_of(body), enterprise


class Workspaces(Protocol):
    async def client_for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient: ...

    async def client_for_channel(self, channel_id: str, team_key: str | None = None) -> AsyncWebClient: ...

    def learn(self, channel_id: str, team_id: str, enterprise_id: str | None) -> bool: ...


class OneWorkspace:
    """``SLACK_BOT_TOKEN``: one workspace, one client."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def client_for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        return self.client

    async def client_for_channel(self, channel_id: str, team_key: str | None = None) -> AsyncWebClient:
        return self.client

    def learn(self, channel_id: str, team_id: str, enterprise_id: str | None) -> bool:
        return False


class NotInstalled(ChatPostFailed):
    def __init__(self, what: str) -> None:
        super().__init__("token lookup", f"not_installed ({what})")


class InstalledWorkspaces:
    def __init__(self, settings: SlackSettings, database: Database, store: DeputyInstallationStore,
                 core: OnLoop, session: aiohttp.ClientSession | None = None) -> None:
        self.settings = settings
        self._db = database
        self.store = store
        self._core = core
        self._session = session
        self._rotator = AsyncTokenRotator(
            client_id=settings.client_id, client_secret=settings.client_secret.get_secret_value(),
            client=AsyncWebClient(base_url=settings.base_url, session=session))
        self._installs: dict[tuple[str | None, str], tuple[float, Installation]] = {}
        # channel → {team key: (workspace, org)}, the workspace heard last in this process last
        self._channels: dict[str, dict[str, tuple[str, str | None]]] = {}
        # (channel, team key) → (workspace, org) read from the database (another process heard it)
        self._stored: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._locks: dict[tuple[str | None, str], asyncio.Lock] = {}

    # -- tokens ----------------------------------------------------------------------------

    async def installation(self, team_id: str, enterprise_id: str | None = None) -> Installation:
        key = (enterprise_id, team_id)
        cached = self._installs.get(key)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS and not _expiring(cached[1]):
            return cached[1]
        return await self._core.run(self._fresh(key))

    async def _fresh(self, key: tuple[str | None, str]) -> Installation:
        async with self._locks.setdefault(key, asyncio.Lock()):
            found = await self.store.async_find_installation(enterprise_id=key[0], team_id=key[1])
            if found is None or not found.bot_token:
                self._installs.pop(key, None)
                raise NotInstalled(f"workspace {key[1]}")
            try:
                rotated = await self._rotator.perform_token_rotation(
                    installation=found, minutes_before_expiration=ROTATE_MINUTES)
            except SlackTokenRotationError as err:
                log.warning("slack: refreshing the token of %s failed: %s", key[1], err.api_error.response.get("error"))
                raise NotInstalled(f"workspace {key[1]}: token refresh refused") from None
            if rotated is not None:
                await self.store.async_save(rotated)
                log.info("slack: refreshed the rotating bot token of %s", key[1])
                found = rotated
            self._installs[key] = (time.monotonic(), found)
            return found

    def forget(self, team_ids: list[str], enterprise_id: str | None = None) -> None:
        """Uninstalled: drop what this process remembers of these workspaces (or the org)."""
        for key in list(self._installs):
            if key[1] in team_ids or (enterprise_id is not None and key[0] == enterprise_id):
                del self._installs[key]

    async def client_for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        found = await self.installation(team_id, enterprise_id)
        return make_client(self.settings, self._session, token=found.bot_token)

    # -- channels --------------------------------------------------------------------------

    def learn(self, channel_id: str, team_id: str, enterprise_id: str | None) -> bool:
        """Remember a workspace heard in the channel; True when it is news (then :meth:`keep` it)."""
        heard = self._channels.setdefault(channel_id, {})
        key = f"slack:{team_id}"
        news = heard.pop(key, None) != (team_id, enterprise_id)
        heard[key] = (team_id, enterprise_id)  # the last heard last
        return news

    async def keep(self, channel_id: str, team_id: str, enterprise_id: str | None) -> None:
        # the adapter's own bookkeeping, about the workspaces of any team
        async with self._db.session(all_teams=True) as session:
            await slack_installs.learn_channel(session, channel_id, team_id, enterprise_id)

    async def teams_of(self, enterprise_id: str) -> list[str]:
        async with self._db.session(all_teams=True) as session:
            return await slack_installs.teams_of_enterprise(session, enterprise_id)

    async def client_for_channel(self, channel_id: str, team_key: str | None = None) -> AsyncWebClient:
        """The client of ``team_key``'s workspace in the channel (Slack Connect: each its own);
        for no team, or one never heard there, of the channel's workspace heard last here, else
        first (any workspace heard in a channel can post in it)."""
        heard = self._channels.get(channel_id, {})
        known = (heard.get(team_key) or self._stored.get((channel_id, team_key))) if team_key else None
        if known is None and (team_key or not heard):
            async with self._db.session(all_teams=True) as session:
                stored = {row.team_key: (row.team_id, row.enterprise_id)
                          for row in await slack_installs.channel_teams(session, channel_id)}
            if team_key and team_key in stored:
                known = self._stored[(channel_id, team_key)] = stored[team_key]
            elif not heard and stored:
                known = next(iter(stored.values()))
        if known is None and heard:
            known = next(reversed(heard.values()))
        if known is None:
            raise NotInstalled(f"channel {channel_id}: no event from its workspace yet")
        return await self.client_for_team(known[0], known[1])


def _expiring(found: Installation) -> bool:
    at = found.bot_token_expires_at
    return at is not None and at < time.time() + ROTATE_MINUTES * 60


class InstalledAuthorize(AsyncAuthorize):
    """bolt's authorize for the distributed app: the workspace's installation (its org's for an
    Enterprise Grid org install), refreshed when its token rotates; no auth.test per request."""

    def __init__(self, workspaces: InstalledWorkspaces) -> None:
        self.workspaces = workspaces

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **_: Any) -> AuthorizeResult | None:
        try:
            found = await self.workspaces.installation(team_id or "", enterprise_id)
        except NotInstalled:
            log.warning("slack: a request for workspace %s, where Deputy is not installed", team_id)
            return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                               bot_user_id=found.bot_user_id, bot_id=found.bot_id,
                               bot_token=found.bot_token, bot_scopes=found.bot_scopes)
