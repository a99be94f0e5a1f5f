"""The browser's screenshots on Discord, end to end: a mention, the plan card with the page
as it is attached before approval, Approve, and the result with the after-screenshot
attached — the real discord.py client and core against the fake Discord, which takes files
only as Discord does (multipart: payload_json and files[n])."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import Deputy, dispatcher
from bot.domain import PlanDraft, Step
from bot.execution.worker import Worker
from bot.registry import discover
from bot.settings import Settings
from bot.store.database import Database
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.fakes.discord_server import FakeDiscord
from tests.integrations.browser.site import Portal

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def app(database: Database, settings: Settings, portal: Portal) -> AsyncIterator[Deputy]:
    planner = ScriptedPlanner()
    deputy = await make_app(database, settings, discover(["browser"]), planner=planner)
    planner.script(PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/new-order"}),
        Step(id="s2", action="browser.submit", args={
            "url": f"{portal.base}/new-order", "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"}]})]))
    yield deputy
    await deputy.registry.aclose()


@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    yield running
    await disconnect(running)


def pictures(fake: FakeDiscord, message: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [(a["filename"], fake.files[a["id"]][:8]) for a in message["attachments"]]


async def test_the_screenshots_are_attached_to_the_card_and_the_result(
        on_discord: Running, app: Deputy, fake: FakeDiscord, portal: Portal) -> None:
    asked = await fake.post_message("alice", f"<@{fake.bot['id']}> order 40 nuts for Globex")

    def cards() -> list[dict[str, Any]]:
        return [m for m in fake.messages.values() if m["channel_id"] == asked["id"] and m["components"]]

    await eventually(lambda: bool(cards()), 30)
    [card] = cards()
    assert pictures(fake, card) == [("s1-page.png", PNG)] and portal.placed == []

    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    await fake.click("alice", card["id"], approve)
    await eventually(app.work_available.is_set, 10)
    await Worker(app, "test").drain()
    assert len(portal.placed) == 1
    [result] = [m for m in fake.messages.values() if m["channel_id"] == asked["id"]
                and (m["embeds"] or [{}])[0].get("footer", {}).get("text", "").startswith("run ")]
    assert pictures(fake, result) == [("s1-page.png", PNG), ("s2-after.png", PNG)]
    assert pictures(fake, fake.messages[card["id"]]) == [("s1-page.png", PNG)]  # edits keep it
