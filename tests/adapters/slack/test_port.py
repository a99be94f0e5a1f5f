"""SlackPort against the fake Web API: what Slack would show, and how it copes with 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack.port import (
    ChannelLimiter,
    ChatPostFailed,
    SlackPort,
    ThreadBook,
    make_client,
)
from bot.chat.replies import Notice, RunResult
from bot.domain import Actor, Where
from tests.adapters.slack import cards
from tests.adapters.slack.conftest import slack_settings
from tests.fakes.slack_api import FakeSlackApi

CHANNEL = "C0PLANS"
WHERE = Where(platform="slack", channel_id=CHANNEL)


@pytest.fixture
async def port(slack_api: FakeSlackApi) -> AsyncIterator[SlackPort]:
    settings = slack_settings(slack_api)
    yield SlackPort(make_client(settings), ChannelLimiter(0), ThreadBook())


async def test_a_plan_lives_in_a_thread_and_is_updated_in_place(port: SlackPort, slack_api: FakeSlackApi) -> None:
    thread = await port.open_thread(WHERE, "anna.b asked: invoice every client for March", None)
    [root] = slack_api.of("chat.postMessage")
    assert root.params["channel"] == CHANNEL and "thread_ts" not in root.params
    assert root.params["text"] == "anna.b asked: invoice every client for March"
    assert thread.thread_id == "1760000001.000001"  # the ts the fake gave the root message

    ref = await port.post(thread, cards.card())
    posted = slack_api.of("chat.postMessage")[1].params
    assert posted["thread_ts"] == thread.thread_id
    assert posted["text"] == "Plan v1 for “invoice every client for March”: awaiting approval"
    assert posted["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "invoice every client for March"}}
    [actions] = [b for b in posted["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e.get("style")) for e in actions["elements"]] == [
        ("deputy:7:1:approve", "primary"), ("deputy:7:1:modify", None), ("deputy:7:1:reject", "danger"),
    ]
    assert (ref.channel_id, ref.thread_id) == (CHANNEL, thread.thread_id)

    await port.update(ref, cards.running(cards.card()))
    [update] = slack_api.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, ref.message_id)
    texts = "\n".join(b["text"]["text"] for b in update.params["blocks"] if b["type"] == "section")
    assert "✓ *1. local.create_invoice*" in texts and "3 invoices" in texts and "⏳ *2." in texts
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]

    await port.post(thread, RunResult(goal_id=3, run_id=9, succeeded=True, headline="Invoiced 2 clients", lines=("Acme: 1200",)))
    result = slack_api.of("chat.postMessage")[2].params
    assert result["thread_ts"] == thread.thread_id and result["text"] == "Invoiced 2 clients"
    assert all(c.authorized for c in slack_api.calls)


async def test_open_thread_under_a_message_posts_nothing(port: SlackPort, slack_api: FakeSlackApi) -> None:
    thread = await port.open_thread(WHERE, "goal", "1760000100.000100")
    assert thread.thread_id == "1760000100.000100"
    assert slack_api.calls == []


async def test_private_reply_is_ephemeral_to_that_person(port: SlackPort, slack_api: FakeSlackApi) -> None:
    boss = Actor(platform="slack", team_id="T0001", user_id="U0BOSS")
    where = Where(platform="slack", channel_id=CHANNEL, thread_id="1.1")
    await port.post_private(where, boss, Notice("You can't approve this, because the policy names finance.", "warning"))
    [call] = slack_api.of("chat.postEphemeral")
    assert (call.params["user"], call.params["channel"], call.params["thread_ts"]) == ("U0BOSS", CHANNEL, "1.1")
    assert "can&#x27;t" not in call.params["blocks"][0]["text"]["text"]
    assert call.params["blocks"][0]["text"]["text"].startswith("⚠️ You can't approve this")


async def test_429_is_retried_after_retry_after(port: SlackPort, slack_api: FakeSlackApi) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    ref = await port.post(WHERE, Notice("hello"))
    assert time.monotonic() - started >= 1.0
    assert len(slack_api.of("chat.postMessage")) == 2
    assert ref.message_id


class Paced(ChannelLimiter):
    """The real limiter, noting for each post its channel, how long it waited for the limiter
    and when it was let go. Timing assertions read these, not the fake's arrival times: on a
    busy machine a round trip to the fake may take longer than a pacing interval."""

    def __init__(self, interval: float, burst: int = 1) -> None:
        super().__init__(interval, burst)
        self.went: list[tuple[str, float, float]] = []

    async def wait(self, channel: str) -> None:
        started = time.monotonic()
        await super().wait(channel)
        now = time.monotonic()
        self.went.append((channel, now - started, now))

    def gone(self) -> list[float]:
        return [at for _, _, at in self.went]


def reached_slack_after_release(slack_api: FakeSlackApi, limiter: Paced) -> bool:
    """Every post reached Slack, in order, only after the limiter let it go."""
    posted = slack_api.of("chat.postMessage")
    return (len(posted) == len(limiter.went)
            and [c.params["channel"] for c in posted] == [channel for channel, _, _ in limiter.went]
            and all(c.at >= at for c, at in zip(posted, limiter.gone(), strict=True)))


async def test_posts_in_one_channel_are_spaced(slack_api: FakeSlackApi) -> None:
    limiter = Paced(0.3)
    port = SlackPort(make_client(slack_settings(slack_api)), limiter, ThreadBook())
    for n in range(3):
        await port.post(WHERE, Notice(f"n{n}"))
    await port.post(Where(platform="slack", channel_id="C0OTHER"), Notice("elsewhere"))
    assert reached_slack_after_release(slack_api, limiter)
    gone = limiter.gone()
    assert gone[1] - gone[0] >= 0.29 and gone[2] - gone[1] >= 0.29
    assert limiter.went[3][0] == "C0OTHER" and limiter.went[3][1] < 0.1  # another channel does not wait


async def test_a_quiet_channel_takes_a_short_burst_at_once_and_a_longer_one_is_paced(
        slack_api: FakeSlackApi) -> None:
    """The default pacing (burst 3, then one per interval), with a 0.8 s interval."""
    interval = 0.8
    settings = slack_settings(slack_api, post_interval_seconds=interval)
    assert settings.post_burst == 3
    limiter = Paced(settings.post_interval_seconds, settings.post_burst)
    port = SlackPort(make_client(settings), limiter, ThreadBook())
    # a slash command's first two messages: the "asked:" line, then the plan card in its thread
    thread = await port.open_thread(WHERE, "anna.b asked: invoice every client for March", None)
    await port.post(thread, cards.card())
    for n in range(4):
        await port.post(thread, Notice(f"n{n}"))
    assert reached_slack_after_release(slack_api, limiter) and len(limiter.went) == 6
    waited = [w for _, w, _ in limiter.went]
    assert max(waited[:3]) < 0.25 * interval  # the burst: three at once, none waited for the pace
    gone = limiter.gone()
    # beyond the burst, one per interval: the fourth waits for a refill since the first …
    assert gone[3] - gone[0] >= interval - 0.02
    # … and each later one a whole interval after the one before
    assert all(b - a >= interval - 0.02 for a, b in zip(gone[3:], gone[4:], strict=False))
    # a quiet spell refills the bucket: the next posts go at once again
    await asyncio.sleep(3 * interval)
    await port.post(thread, Notice("after a pause"))
    await port.post(thread, Notice("and another"))
    assert reached_slack_after_release(slack_api, limiter)
    assert max(w for _, w, _ in limiter.went[6:]) < 0.25 * interval


async def test_a_refusal_names_slacks_error_and_never_the_token(port: SlackPort, slack_api: FakeSlackApi) -> None:
    slack_api.fail("chat.update", "message_not_found")
    with pytest.raises(ChatPostFailed) as caught:
        await port.update(
            (await port.post(WHERE, Notice("x"))), Notice("y")
        )
    assert caught.value.code == "message_not_found"
    assert "xoxb" not in str(caught.value)


async def test_the_limiter_forgets_channels_whose_bucket_refilled_past_its_bound() -> None:
    """A planner posts in ever new channels (each request its own, in the benchmarks): the
    book of locks and counts stays bounded; a refilled bucket is as a channel never seen."""
    limiter = ChannelLimiter(0.05, keep=10)
    for n in range(30):
        await limiter.wait(f"C{n}")
    await asyncio.sleep(0.1)  # every bucket refilled
    for n in range(30, 60):
        await limiter.wait(f"C{n}")
    assert len(limiter) == 30  # the 30 posted in since; the 30 refilled forgotten


async def test_the_limiter_keeps_pacing_a_channel_whose_bucket_is_still_filling() -> None:
    limiter = ChannelLimiter(60, keep=1)
    await limiter.wait("C1")
    await limiter.wait("C2")  # past the bound: neither has refilled, both kept
    assert len(limiter) == 2
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(limiter.wait("C1"), 0.1)  # its next post still waits
