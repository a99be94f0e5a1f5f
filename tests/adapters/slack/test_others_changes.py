"""The Modify form on Slack, used by someone other than the requester: the new version runs
only once the requester approves it too, and the card says who changed what."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Deputy
from bot.store.tables import RunRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import Live, count, eventually, live_slack, text_of
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import planned
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import FakeSlackApi

GOAL = "book a meeting with Ana and Ben next Tuesday at 10am"


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


async def test_a_modify_form_by_another_member_needs_the_requesters_approval(
        live: Live, app: Deputy, slack_api: FakeSlackApi) -> None:
    v1 = await planned(live, GOAL)
    assert await live.click(v1, "modify", user="U0BOSS") == 200
    [opened] = await slack_api.wait_for("views.open")
    view = opened.params["view"]
    title = next(b["block_id"] for b in view["blocks"]
                 if b["type"] == "input" and b["block_id"].endswith(":title"))
    submit = wire.interactive(wire.view_submission(view, {title: "Wire the deposit to Bo"}, user="U0BOSS"))
    assert await live.send(submit, wire.FORM) == 200
    v2 = await live.card(count=2)
    await live.settle()
    shown = text_of(v2.blocks)
    assert "by Bo Ss" in shown and "Changed by Bo Ss, not by anna.b who asked" in shown

    assert await live.click(v2, "approve", user="U0BOSS") == 200  # the changer approves
    await eventually(lambda: bool(live.updates_of(v2.ts)), 10, "the card redrawn")
    await live.settle()
    assert await count(app, RunRow) == 0  # not without Anna

    assert await live.click(v2, "approve", user="U0ANNA") == 200
    await eventually(lambda: len(live.thread_posts(v2.thread_ts)) >= 3, 10, "the result reply")
    await live.settle()
    assert await count(app, RunRow) == 1
