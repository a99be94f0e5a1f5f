"""Fixtures: a fake Slack Web API, a recording dispatch, and Deputy's Slack HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.app import SlackAdapter
from bot.adapters.slack.http import create_http_app
from bot.adapters.slack.settings import SlackSettings
from bot.chat.events import ChatEvent
from tests.adapters.slack.wire import SECRET
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackApi

USERS = {
    "U0ANNA": {"id": "U0ANNA", "name": "anna", "real_name": "Anna Berg", "tz": "Europe/Stockholm",
               "profile": {"display_name": "anna.b", "real_name": "Anna Berg"}},
    "U0BOSS": {"id": "U0BOSS", "name": "boss", "real_name": "Bo Ss", "tz": "America/New_York",
               "profile": {"display_name": "", "real_name": "Bo Ss"}},
}


@dataclass
class Recorder:
    """The core's dispatch as the adapter sees it; ``delay`` plays a slow planner."""

    delay: float = 0.0
    events: list[ChatEvent] = field(default_factory=list)
    # set by a test that is done watching the slow core: the waiting dispatches finish now
    released: asyncio.Event = field(default_factory=asyncio.Event)
    finished: int = 0  # dispatches that have returned

    async def __call__(self, event: ChatEvent) -> None:
        self.events.append(event)
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.released.wait(), self.delay)
        self.finished += 1

    async def wait(self, count: int = 1, within: float = 3.0) -> list[ChatEvent]:
        deadline = time.monotonic() + within
        while len(self.events) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} events, got {self.events}")
            await asyncio.sleep(0.01)
        return self.events


@dataclass
class Server:
    url: str
    session: aiohttp.ClientSession

    async def post(self, body: str, content_type: str, headers: dict[str, str]) -> tuple[int, str, float]:
        started = time.monotonic()
        async with self.session.post(
            self.url + "/slack/events", data=body.encode(), headers={"Content-Type": content_type, **headers}
        ) as response:
            text = await response.text()
        return response.status, text, time.monotonic() - started


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi(users=dict(USERS)).start()
    yield fake
    await fake.stop()


@pytest.fixture(name="web")
async def web_client(slack_api: FakeSlackApi) -> AsyncIterator[AsyncWebClient]:
    """slack_sdk's own client, with the bot token, on the fake Slack: for the fake's tests."""
    yield AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.base_url)


async def refused(call: Awaitable[Any]) -> dict[str, Any]:
    """What Slack answers a call it refuses, as slack_sdk raises it: HTTP 200 and ok: false."""
    with pytest.raises(SlackApiError) as caught:
        await call
    response = caught.value.response
    assert response.status_code == 200 and response["ok"] is False
    return dict(response.data)  # type: ignore[arg-type]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def slack_settings(api: FakeSlackApi, **overrides: object) -> SlackSettings:
    values: dict[str, object] = {
        "bot_token": "xoxb-0000-test-token", "signing_secret": SECRET,
        "api_url": api.base_url, "post_interval_seconds": 0, **overrides,
    }
    return SlackSettings.model_validate(values)


@pytest.fixture
async def adapter(slack_api: FakeSlackApi, recorder: Recorder) -> AsyncIterator[SlackAdapter]:
    made = SlackAdapter(slack_settings(slack_api), recorder)
    yield made
    await made.aclose(grace=0.5)


@pytest.fixture
async def server(adapter: SlackAdapter) -> AsyncIterator[Server]:
    runner = web.AppRunner(create_http_app(adapter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        yield Server(f"http://127.0.0.1:{port}", session)
    await runner.cleanup()
