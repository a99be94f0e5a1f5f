"""The whole flow on Discord: the real discord.py client and the full core against the fake.

mention → thread + plan card → Approve by the requester → execution → the card is edited
and a result closes the run; the gateway dropping mid-run changes nothing of that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.client import HELP
from bot.app import Deputy, dispatcher
from bot.execution.worker import Worker
from tests.adapters.discord.cards import custom_ids
from tests.adapters.discord.conftest import Running, connect, disconnect, eventually
from tests.fakes.discord_server import FakeDiscord

EPHEMERAL = 64




@pytest.fixture
async def on_discord(fake: FakeDiscord, app: Deputy) -> AsyncIterator[Running]:
    running = await connect(fake, dispatcher(app))
    app.attach(running.port)
    yield running
    await disconnect(running)


def bot_messages_in(fake: FakeDiscord, channel_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages.values()
        if m["channel_id"] == channel_id and m["author"]["id"] == fake.bot["id"]
    ]


async def _plan_card(fake: FakeDiscord, goal: str) -> dict[str, Any]:
    asked = await fake.post_message("alice", f"<@{fake.bot['id']}> {goal}")
    await eventually(lambda: any(m["components"] for m in bot_messages_in(fake, asked["id"])), 10)
    (card,) = [m for m in bot_messages_in(fake, asked["id"]) if m["components"]]
    return card


async def test_mention_plan_approve_run_and_result(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    card = await _plan_card(fake, "invoice Acme for last month")
    thread_id = card["channel_id"]
    assert fake.channels[thread_id]["parent_id"] == fake.channel_id
    steps = [f["name"] for f in card["embeds"][0]["fields"]]
    assert any("local.create_invoice" in s for s in steps)
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))

    clicked = await fake.click("alice", card["id"], approve)
    await eventually(lambda: bool(fake.callbacks_for(clicked)))
    assert fake.acknowledged_in(clicked) < 3
    # the run is queued on the click; a worker (another process in production) carries it out
    await eventually(app.work_available.is_set)
    await Worker(app, "test").drain()

    edited = fake.messages[card["id"]]
    # only Undo is left on a finished card (create_invoice declares void_invoice as its undo)
    assert [c.rsplit(":", 1)[1] for c in custom_ids(edited)] == ["undo"]
    assert edited["embeds"][0]["description"].count("Done") == 1
    footers = {
        m["id"]: (m["embeds"] or [{}])[0].get("footer", {}).get("text", "")
        for m in bot_messages_in(fake, thread_id)
    }
    (result_id,) = [mid for mid, text in footers.items() if text.startswith("run ")]
    assert fake.messages[result_id]["embeds"][0]["title"].startswith("✅")


async def test_gateway_drop_mid_run_still_updates_the_card(
    on_discord: Running, app: Deputy
) -> None:
    fake = on_discord.fake
    card = await _plan_card(fake, "chase overdue invoices")
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    # a double click: two interactions, each answered once; one run comes of it
    first = await fake.click("alice", card["id"], approve)
    second = await fake.click("alice", card["id"], approve)
    await eventually(lambda: bool(fake.callbacks_for(first) and fake.callbacks_for(second)))
    await eventually(app.work_available.is_set)
    assert len(fake.callbacks_for(first)) == 1 and len(fake.callbacks_for(second)) == 1

    await fake.drop_connection()
    assert await Worker(app, "test").drain() == 1  # runs while the gateway is away
    await fake.wait_connected(10)
    assert fake.resumes == 1
    assert fake.messages[card["id"]]["components"] == []
    assert "Done" in fake.messages[card["id"]]["embeds"][0]["description"]
    assert await Worker(app, "test").drain() == 0

    # and Discord events flow again after the resume
    await fake.post_message("alice", f"<@{fake.bot['id']}>")
    posts = fake.calls_to
    await eventually(
        lambda: any(
            c.body.get("content") == HELP
            for c in posts("POST", f"/channels/{fake.channel_id}/messages")
        )
    )


async def test_an_invoice_run_shows_what_was_invoiced_and_to_whom(on_discord: Running, app: Deputy) -> None:
    fake = on_discord.fake
    card = await _plan_card(fake, "invoice Acme for last month")
    approve = next(c for c in custom_ids(card) if c.endswith(":approve"))
    await fake.click("alice", card["id"], approve)
    await eventually(app.work_available.is_set)
    await Worker(app, "test").drain()
    [result] = [m for m in bot_messages_in(fake, card["channel_id"])
                if (m["embeds"] or [{}])[0].get("footer", {}).get("text", "").startswith("run ")]
    [field] = result["embeds"][0]["fields"]
    local = app.registry.get("local").client  # type: ignore[union-attr]
    [mail] = [m for m in await local.outbox("discord:1100000000000000002") if m["kind"] == "invoice"]
    assert field["name"].endswith("1 invoice sent")
    assert "Acme Corp" in field["value"] and mail["to"] in field["value"]
    assert "INV-" in field["value"] and " USD" in field["value"]
