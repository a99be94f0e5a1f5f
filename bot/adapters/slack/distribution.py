"""The distributed Slack app: "Add to Slack" (OAuth v2) and what follows an install.

``GET /slack/install`` answers with a page holding the "Add to Slack" link (its ``state``
also set as a cookie, so the callback must come back to the same browser);
``GET /slack/oauth_redirect`` checks the cookie and the state (unknown, used, expired or from
another browser: refused, nothing stored), exchanges the code with ``oauth.v2.access`` and
stores the installation (tokens sealed in the vault: bot/adapters/slack/installs.py). Both are
slack-bolt's ``AsyncOAuthFlow`` with Deputy's stores.

``app_uninstalled``, and ``tokens_revoked`` naming the bot: that workspace's (or org's)
tokens are deleted and its open goals cancelled (``on_removed``), nothing of another team is
touched. Every request teaches :class:`~bot.adapters.slack.workspaces.InstalledWorkspaces`
which workspace its channel belongs to, so later posts there use that workspace's token.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.installs import DeputyInstallationStore, DeputyStateStore, OnLoop
from bot.adapters.slack.manifest import BOT_SCOPES
from bot.adapters.slack.settings import SlackSettings
from bot.adapters.slack.workspaces import InstalledAuthorize, InstalledWorkspaces, where_from
from bot.errors import SettingsError
from bot.store.database import Database
from bot.vault import CredentialStore

log = logging.getLogger(__name__)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# (platform team ids, org id or None, why): cancel the open work of these teams
Removed = Callable[[list[str], "str | None", str], Awaitable[None]]
Payload = dict[str, Any]


class _HideCode(logging.Filter):
    """slack-bolt logs a refused code in full ("… with code: 123.456 - error: …"): keep it out."""

    _code = re.compile(r"(code:?\s*)[^\s,]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._code.sub(r"\1…", record.msg)
        return True


OAUTH_LOG = logging.getLogger("bot.adapters.slack.oauth")
OAUTH_LOG.addFilter(_HideCode())


class SlackAdapter(Protocol):
    """What the listeners need of bot.adapters.slack.app.SlackAdapter (which imports this)."""

    @property
    def app(self) -> AsyncApp: ...

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None: ...


@dataclass
class Distribution:
    workspaces: InstalledWorkspaces
    flow: AsyncOAuthFlow
    authorize: InstalledAuthorize
    on_removed: Removed | None = None

    def wire(self, adapter: SlackAdapter) -> None:
        _wire(adapter, self)


def build_distribution(settings: SlackSettings, database: Database, vault: CredentialStore | None,
                       session: aiohttp.ClientSession | None = None, *,
                       on_removed: Removed | None = None,
                       on_installed: Callable[[Any], Coroutine[Any, Any, None]] | None = None) -> Distribution:
    """Call on the core's loop: the stores run their database work there."""
    if settings.socket_mode:
        raise SettingsError("SLACK_APP_TOKEN: the distributed Slack app (SLACK_CLIENT_ID) takes installs and "
                            "events over HTTP at DEPUTY_PUBLIC_URL; unset SLACK_APP_TOKEN (Socket Mode)")
    if vault is None:
        raise SettingsError("SLACK_CLIENT_ID: the distributed Slack app keeps every workspace's tokens in "
                            "the credential vault; configure it (DEPUTY_MASTER_KEY or the key file)")
    core = OnLoop()
    core.bind()
    store = DeputyInstallationStore(database, vault, core)
    workspaces = InstalledWorkspaces(settings, database, store, core, session)

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        if on_installed is not None:
            await core.run(on_installed(args.installation))
        return await args.default.success(args)

    redirect = settings.public_url.rstrip("/") + REDIRECT_PATH if settings.public_url else None
    oauth = AsyncOAuthSettings(
        client_id=settings.client_id, client_secret=settings.client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES), user_scopes=[], redirect_uri=redirect,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        # /slack/install sends the browser straight to Slack (the state also set as a cookie)
        install_page_rendering_enabled=False,
        authorization_url=settings.authorize_url, installation_store=store,
        state_store=DeputyStateStore(database, core),
        callback_options=AsyncCallbackOptions(success=success, failure=_failure), logger=OAUTH_LOG)
    flow = AsyncOAuthFlow(client=AsyncWebClient(base_url=settings.base_url), logger=OAUTH_LOG, settings=oauth)
    return Distribution(workspaces, flow, InstalledAuthorize(workspaces), on_removed)


async def _failure(args: Any) -> BoltResponse:
    log.info("slack: an install was refused: %s", args.reason)
    response: BoltResponse = await args.default.failure(args)
    return response


def _wire(adapter: SlackAdapter, distribution: Distribution) -> None:
    """The distributed app's listeners on the adapter's bolt app."""
    app = adapter.app
    workspaces = distribution.workspaces

    async def learn(body: Payload, next: Callable[[], Awaitable[Any]]) -> Any:
        channel, team, enterprise = where_from(body)
        if channel and team and workspaces.learn(channel, team, enterprise):
            adapter.spawn(workspaces.keep(channel, team, enterprise), "learn_channel")
        return await next()

    async def uninstalled(body: Payload) -> None:
        adapter.spawn(_removed(distribution, body, None), "app_uninstalled")

    async def revoked(body: Payload, event: Payload) -> None:
        tokens = event.get("tokens") or {}
        adapter.spawn(_removed(distribution, body, tokens), "tokens_revoked")

    app.use(learn)
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)


async def _removed(distribution: Distribution, body: Payload, tokens: Payload | None) -> None:
    """Delete the tokens; when the bot's went, cancel the open work of the team(s)."""
    store = distribution.workspaces.store
    _, team, enterprise = where_from(body)
    authorizations = body.get("authorizations") or [{}]
    org = bool(authorizations[0].get("is_enterprise_install")) or bool(body.get("is_enterprise_install"))
    team_id = None if org else team
    if tokens is None:
        await store.async_delete_all(enterprise_id=enterprise, team_id=team_id)
        why = "Deputy was uninstalled from this workspace"
    else:
        if tokens.get("oauth"):
            await store.async_delete_installation(enterprise_id=enterprise, team_id=team_id)
        if not tokens.get("bot"):
            return
        await store.async_delete_bot(enterprise_id=enterprise, team_id=team_id)
        why = "Deputy was cut off: its access to this workspace was revoked"
    teams = [team_id] if team_id else await distribution.workspaces.teams_of(enterprise or "")
    distribution.workspaces.forget(teams, enterprise if org else None)
    log.info("slack: %s (%s)", why, ", ".join(teams) or enterprise)
    if distribution.on_removed is not None:
        await distribution.on_removed(teams, enterprise, why)
