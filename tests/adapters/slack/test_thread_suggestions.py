"""Thread replies on Slack: another member's reply is a suggestion, not a new plan; a reply
Slack delivers again after Deputy restarted (the adapter's in-memory dedup is empty then) is
recognised by its event id in the core and makes no new version."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.app import Deputy
from bot.store.tables import PlanVersionRow, ThreadMessageRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, count, live_slack, state, text_of
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import planned
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


async def messages(app: Deputy) -> list[ThreadMessageRow]:
    async with app.database.session(all_teams=True) as session:
        return list(await session.exec(select(ThreadMessageRow)))


def reply(text: str, thread_ts: str, *, user: str, event_id: str, ts: str = "1760000500.000500") -> str:
    return wire.event_callback(wire.message(text, thread_ts=thread_ts, ts=ts, user=user), event_id=event_id)


async def test_another_members_reply_is_a_suggestion_shown_on_the_card(live: Live, app: Deputy) -> None:
    card = await planned(live)
    before = await state(app)
    assert await live.send(reply("make it only Acme", card.thread_ts, user="U0BOSS",
                                 event_id="Ev0BOSS01"), wire.JSON) == 200
    told = await live.ephemeral("U0BOSS")
    assert "your suggestion is shown on the plan" in str(told.params["text"])
    await live.settle()
    after = await state(app)
    assert after["PlanVersionRow"] == before["PlanVersionRow"] and len(live.cards()) == 1  # no re-plan
    [update] = live.updates_of(card.ts)[-1:]
    shown = text_of(list(update.params["blocks"]))
    assert "Suggestion from Bo Ss: “make it only Acme”" in shown
    assert any(str(b.get("action_id", "")).endswith(":accept")
               for block in update.params["blocks"] if block["type"] == "actions"
               for b in block["elements"])
    [message] = await messages(app)
    assert message.status == "suggested" and message.author_key == "slack:T0001:U0BOSS"


async def test_a_reply_replayed_after_a_restart_makes_no_new_version(app: Deputy, slack_api: FakeSlackApi) -> None:
    body = ""
    async with live_slack(app, slack_api) as first:
        card = await planned(first)
        body = reply("make it only Acme", card.thread_ts, user="U0ANNA", event_id="Ev0REPLY01")
        assert await first.send(body, wire.JSON) == 200
        await first.card(count=2)
        await first.settle()
    assert await count(app, PlanVersionRow) == 2
    cards_before = len([c for c in slack_api.of("chat.postMessage") if c.params.get("thread_ts")])

    async with live_slack(app, slack_api) as restarted:  # a new process: nothing in memory
        assert await restarted.send(body, wire.JSON) == 200
        await restarted.settle()
    assert await count(app, PlanVersionRow) == 2 and len(await messages(app)) == 1
    assert len([c for c in slack_api.of("chat.postMessage") if c.params.get("thread_ts")]) == cards_before
