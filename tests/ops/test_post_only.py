"""Post-only ports, as `deputy worker` and `deputy scheduler` attach them: Slack's Web API
without Socket Mode or an HTTP listener, Discord's REST API without a gateway — and their
readiness, a real auth.test / users/@me, cached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord.post_only import DiscordPoster
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.post_only import SlackPoster
from bot.adapters.slack.settings import SlackSettings
from bot.chat.replies import Notice
from bot.domain import Where
from bot.readiness import CachedProbe
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "xoxb-0000-post-only"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi(tokens={TOKEN}).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


def slack_poster(api: FakeSlackApi, token: str = TOKEN) -> SlackPoster:
    return SlackPoster(SlackSettings(bot_token=token, api_url=api.base_url, post_interval_seconds=0))


async def test_slack_posts_in_the_thread_and_readiness_is_a_cached_auth_test(slack_api: FakeSlackApi) -> None:
    poster = slack_poster(slack_api)
    try:
        where = Where(platform="slack", channel_id="C0FIN", thread_id="1760000001.000001")
        ref = await poster.port.post(where, Notice("Run 3: done"))
        assert ref is not None and ref.thread_id == "1760000001.000001"
        [call] = slack_api.of("chat.postMessage")
        assert (call.params["channel"], call.params["thread_ts"]) == ("C0FIN", "1760000001.000001")
        assert await poster.ready() is True
        assert await poster.ready() is True
        assert len(slack_api.of("auth.test")) == 1  # the second answer came from the cache
    finally:
        await poster.aclose()


async def test_slack_readiness_fails_with_a_refused_token(slack_api: FakeSlackApi) -> None:
    poster = slack_poster(slack_api, token="xoxb-0000-revoked")
    try:
        assert await poster.ready() is False
        assert len(slack_api.of("auth.test")) == 1
    finally:
        await poster.aclose()


async def test_a_failure_is_cached_briefly_and_recovery_shows() -> None:
    answers = [False, True]
    calls = 0

    async def probe() -> bool:
        nonlocal calls
        calls += 1
        return answers[calls - 1]

    check = CachedProbe(probe, ok_for=60, failed_for=0.05)
    assert (await check(), await check()) == (False, False)
    assert calls == 1
    import asyncio

    await asyncio.sleep(0.06)
    assert await check() is True
    assert calls == 2


def discord_settings(api: FakeDiscord, token: str) -> DiscordSettings:
    return DiscordSettings(token=token, discord_api_url=api.api_url, discord_gateway_url=api.gateway_url)


async def test_discord_posts_over_rest_without_a_gateway(discord_api: FakeDiscord) -> None:
    poster = DiscordPoster(discord_settings(discord_api, discord_api.token))
    try:
        await poster.start()
        assert await poster.ready() is True
        # a thread the discord process opened earlier (Discord refuses posts to unknown ones)
        thread = discord_api.open_thread(discord_api.channel_id, "Run 3")["id"]
        ref = await poster.port.post(Where(platform="discord", channel_id=discord_api.channel_id,
                                           thread_id=thread), Notice("Run 3: done"))
        assert ref is not None and discord_api.messages[ref.message_id]["channel_id"] == thread
        assert discord_api.identifies == 0  # never a gateway session: the discord process holds it
    finally:
        await poster.aclose()


async def test_discord_readiness_fails_with_a_refused_token(discord_api: FakeDiscord) -> None:
    poster = DiscordPoster(discord_settings(discord_api, "not-the-token"))
    try:
        await poster.start()  # not fatal: the process stays up and says it is not ready
        assert await poster.ready() is False
    finally:
        await poster.aclose()
