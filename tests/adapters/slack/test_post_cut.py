"""A connection to Slack that breaks while Deputy posts a message. After Slack took the post
(the answer lost on the way back), sending it again would show the plan card, a question or
the request's root message twice: Slack takes no idempotency key for chat.postMessage.
Before Slack got it (a pooled connection Slack had closed), it must be sent again or nothing
is shown. The fake Slack cuts the connection either way; slack_sdk's real client, with the
retry handlers Deputy gives it, sees the connection closed under it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.metadata import CARD_EVENT, ROOT_EVENT
from bot.app import Deputy
from bot.settings import Settings, load_settings
from bot.store.database import Database
from tests.adapters.slack.live import Live, eventually, live_slack
from tests.core.conftest import seeded_app
from tests.fakes.slack_api import FakeSlackApi

GOAL = "chase overdue invoices"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", timezone="Europe/London", retry_base_seconds=0.01,
                         retry_max_seconds=0.05, step_timeout_seconds=5, worker_poll_seconds=30)


@pytest.fixture
async def app(database: Database, settings: Settings) -> Deputy:
    return await seeded_app(database, settings)


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


def marked(event: str) -> Callable[[dict[str, Any]], bool]:
    return lambda params: (params.get("metadata") or {}).get("event_type") == event


def posts_of(live: Live, event: str) -> list[dict[str, Any]]:
    """The messages in the channel (posts Slack carried out) that carry ``event``'s metadata."""
    return [m for m in live.api.messages.values() if (m.get("metadata") or {}).get("event_type") == event]


@pytest.mark.parametrize("after", [True, False], ids=["after-slack-took-it", "before-it-arrived"])
@pytest.mark.parametrize("event", [CARD_EVENT, ROOT_EVENT], ids=["card", "root"])
async def test_a_post_whose_connection_broke_is_shown_once(live: Live, after: bool, event: str) -> None:
    live.api.cut("chat.postMessage", after=after, when=marked(event))
    await live.slash(GOAL)
    card = await live.card()
    await live.settle()
    assert not live.api._cuts, "the connection was never cut"
    assert len(posts_of(live, event)) == 1
    assert len(live.cards()) == 1
    # the card Deputy recorded is the one in the thread: approving it works and redraws it
    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: any(str(u.params.get("text", "")).endswith(": done")
                                 for u in live.updates_of(card.ts)), 10, "the card redrawn as done")
