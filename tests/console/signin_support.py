""""Sign in with Slack / Discord" against the fakes: the providers (Deputy as the distributed
Slack app, installed in a workspace through the fake Slack, or the fake Discord's OAuth2) and
a browser's round trip through the provider's authorize page. The console serving them is
``tests.console.conftest.console_with``."""

from __future__ import annotations

import aiohttp

from bot.adapters.discord.console_signin import DiscordSignIn
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.console_signin import SlackSignIn, slack_signin
from bot.app import Deputy
from tests.adapters.slack.distributed import distributed_settings
from tests.fakes import discord_oauth
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi


def slack_provider(app: Deputy, api: FakeSlackApi, session: aiohttp.ClientSession, **overrides: str) -> SlackSignIn:
    # groups re-read on every page and decision unless a test asks otherwise: tests change
    # them between two pages
    settings = distributed_settings(api, openid_url=api.openid_url, **{"groups_fresh_seconds": "0", **overrides})
    provider = slack_signin(settings, app.database, app.vault, session, "Europe/London")
    assert provider is not None
    return provider


def discord_provider(fake: FakeDiscord, session: aiohttp.ClientSession, **overrides: object) -> DiscordSignIn:
    settings = DiscordSettings.model_validate({
        "token": fake.token, "discord_api_url": fake.api_url, "client_id": discord_oauth.CLIENT_ID,
        "client_secret": discord_oauth.CLIENT_SECRET, "authorize_url": fake.authorize_url,
        "discord_role_groups": dict(fake.roles), **overrides})
    return DiscordSignIn(settings, session)


async def round_trip(http: aiohttp.ClientSession, url: str, provider: str) -> tuple[int, str, str]:
    """Press "Sign in with …", allow on the provider's page, come back: the callback's
    status and page, and the callback URL (to replay it)."""
    async with http.get(f"{url}/console/signin/{provider}", allow_redirects=False) as start:
        assert start.status == 303, await start.text()
        authorize = start.headers["Location"]
    async with http.get(authorize, allow_redirects=False) as allowed:
        assert allowed.status == 302, await allowed.text()
        callback = allowed.headers["Location"]
    async with http.get(callback, allow_redirects=False) as back:
        return back.status, await back.text(), callback
