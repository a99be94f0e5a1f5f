"""The web console over the real core: Slack behind its HTTP door with the fake Slack Web
API (so a decision in the console shows as a chat.update of the chat card), a worker, and
the console's routes on their own aiohttp server on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import Deputy
from bot.chat.signin import SignInProvider
from bot.console import Console, add_console_routes
from bot.console.signin import local_person, make_link
from bot.domain import Actor
from bot.policy import Policy
from bot.registry import discover
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.adapters.slack import wire
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import Card, Live, live_slack
from tests.core.conftest import seeded_app
from tests.fakes.slack_api import FakeSlackApi

KEY = b"console-test-key-0123456789abcdef"
ANNA = local_person(f"slack:{wire.TEAM}:U0ANNA")
# a person of another Slack workspace: same user id, other team
STRANGER = local_person("slack:T0OTHER:U0ANNA")
GOAL = "chase overdue invoices"


@dataclass
class Served:
    app: Deputy
    console: Console
    url: str

    async def link(self, actor: Actor = ANNA) -> str:
        return await make_link(self.app.database, actor, self.url, self.app.clock())

    async def signed_in(self, http: aiohttp.ClientSession, actor: Actor = ANNA) -> None:
        """Follow a fresh sign-in link and press Sign in, as a person would."""
        link = await self.link(actor)
        token = link.rsplit("token=", 1)[1]
        async with http.post(self.url + "/console/signin", data={"token": token},
                             allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            http.cookie_jar.update_cookies(response.cookies)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5, worker_poll_seconds=30)


@pytest.fixture
def integrations() -> list[str]:
    """The integrations the app enables; a test overrides it for others."""
    return ["local"]


@pytest.fixture
async def app(database: Database, settings: Settings, policy: Policy | None, integrations: list[str]) -> Deputy:
    return await seeded_app(database, settings, discover(integrations), policy=policy)


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi(users=dict(USERS)).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


@contextlib.asynccontextmanager
async def console_with(app: Deputy, providers: Sequence[SignInProvider] = ()) -> AsyncIterator[Served]:
    """The console on 127.0.0.1, with these "Sign in with …" providers (none: local sign-in)."""
    web_app = web.Application()
    console = add_console_routes(web_app, app, key=KEY, providers=providers)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Served(app, console, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def served(app: Deputy) -> AsyncIterator[Served]:
    async with console_with(app) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe: the console's cookie is for the IP address 127.0.0.1; a page that does not
    # answer in a minute fails the test with its traceback (aiohttp's default waits 5 minutes,
    # long enough to look like a hang under a run's `timeout`)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


async def planned(live: Live) -> Card:
    """Anna asks in Slack; the plan card waits for approval."""
    await live.slash(GOAL, user="U0ANNA")
    card = await live.card()
    await live.settle()
    return card
