"""The browser's screenshots on Slack, end to end: a /deputy goal, the plan card with the
page as it is uploaded into its thread before approval, Approve, and the result with the
after-screenshot uploaded into the same thread — through the real adapter and the fake Web
API, which takes uploads only the way Slack does (files.getUploadURLExternal, the bytes,
files.completeUploadExternal)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.registry import discover
from bot.settings import Settings
from bot.store.database import Database
from tests.adapters.slack.conftest import USERS
from tests.adapters.slack.live import Live, eventually, live_slack
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.fakes.slack_api import FakeSlackApi
from tests.integrations.browser.site import Portal

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    fake = await FakeSlackApi(users=dict(USERS)).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def live(database: Database, settings: Settings, slack_api: FakeSlackApi,
               portal: Portal) -> AsyncIterator[Live]:
    quick = settings.model_copy(update={"worker_poll_seconds": 30})
    planner = ScriptedPlanner()
    app: Deputy = await make_app(database, quick, discover(["browser"]), planner=planner)
    planner.script(PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/new-order"}),
        Step(id="s2", action="browser.submit", args={
            "url": f"{portal.base}/new-order", "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"},
                       {"selector": "#quantity", "value": "40"}]})]))
    try:
        async with live_slack(app, slack_api) as running:
            yield running
    finally:
        await app.registry.aclose()


async def test_the_screenshots_are_uploaded_into_the_plans_thread(
        live: Live, slack_api: FakeSlackApi, portal: Portal) -> None:
    await live.slash("order 40 nuts for Globex on the portal")
    card = await live.card(within=30)
    await eventually(lambda: len(slack_api.files) == 1, 20, "the preview's screenshot")
    [before] = slack_api.files.values()
    assert (before["name"], before["channel"], before["thread_ts"]) == (
        "s1-page.png", card.call.params["channel"], card.thread_ts)
    assert before["bytes"][:8] == PNG and portal.placed == []  # seen before anything was done

    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: len(slack_api.files) == 3, 30, "the run's screenshots")
    await live.settle()
    names = sorted(f["name"] for f in slack_api.files.values())
    assert names == ["s1-page.png", "s1-page.png", "s2-after.png"]
    assert {f["thread_ts"] for f in slack_api.files.values()} == {card.thread_ts}
    assert portal.placed == [{"customer": "Globex", "product": "bolts", "quantity": "40"}]
    # the result was posted first, then its pictures shared under it
    methods = [c.method for c in slack_api.calls if c.method.startswith(("chat.postMessage", "files."))]
    assert methods[-4:] == ["chat.postMessage", "files.getUploadURLExternal",
                            "files.getUploadURLExternal", "files.completeUploadExternal"]
