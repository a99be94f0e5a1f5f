"""Buttons, the Modify form and /deputy: answered within 3 s, then handed to the core."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.handoff import DEFAULT_CONCURRENCY
from bot.chat.events import ButtonPressed, ChatEvent, GoalPosted, ModifySubmitted, StepEdit
from bot.chat.port import MessageRef
from bot.chat.replies import Notice
from bot.domain import Where
from bot.errors import UserError
from tests.adapters.discord.cards import custom_ids, plan_card
from tests.adapters.discord.conftest import Recorder, Running, connect, disconnect, eventually
from tests.fakes.discord_server import FakeDiscord

DEFERRED_UPDATE, CHANNEL_MESSAGE, MODAL = 6, 4, 9
EPHEMERAL = 64


async def _card_in_thread(running: Running, wait: bool = True) -> tuple[Where, dict[str, Any]]:
    """A plan card in a thread under a goal message, as the core would leave it."""
    fake = running.fake
    posted = await fake.post_message("alice", f"<@{fake.bot['id']}> invoice March")
    where = Where(platform="discord", channel_id=fake.channel_id)
    if wait:
        (goal,) = await running.recorder.wait_for(1)
        running.recorder.events.clear()
        where = goal.where
    thread = await running.port.open_thread(where, "Invoice March", posted["id"])
    await eventually(lambda: running.client.get_channel(int(thread.thread_id or 0)) is not None)
    ref = await running.port.post(thread, plan_card())
    return thread, fake.messages[ref.message_id]


async def test_click_is_deferred_in_time_then_dispatched(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    thread, card = await _card_in_thread(discord_bot)
    approve = custom_ids(card)[0]

    clicked = await fake.click("alice", card["id"], approve)
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, ButtonPressed)
    assert event.button_id == approve == "deputy:7:1:approve"
    assert event.where == thread
    assert event.event_id == clicked
    assert event.actor.user_id == fake.people["alice"]["id"]
    (ack,) = fake.callbacks_for(clicked)
    assert ack.type == DEFERRED_UPDATE
    assert fake.acknowledged_in(clicked) < 3


async def test_goals_beyond_the_bound_wait_their_turn_and_a_slash_command_is_still_answered(
    fake: FakeDiscord,
) -> None:
    """Under a flood of goals, at most DEFAULT_CONCURRENCY are in the core at once; the others
    wait their turn in arrival order, and an interaction is answered meanwhile."""
    entered: list[ChatEvent] = []
    release = asyncio.Event()

    async def planning(event: ChatEvent) -> None:  # the core, holding each goal until released
        entered.append(event)
        await release.wait()

    running = await connect(fake, planning)
    try:
        for n in range(DEFAULT_CONCURRENCY + 4):
            await fake.post_message("alice", f"<@{fake.bot['id']}> goal {n}")
        await eventually(lambda: len(entered) >= DEFAULT_CONCURRENCY)
        asked = await fake.slash("alice", "invoice March")  # after every goal, on the same gateway
        await eventually(lambda: bool(fake.callbacks_for(asked)))
        assert fake.acknowledged_in(asked) < 3
        assert len(entered) == DEFAULT_CONCURRENCY  # the rest are waiting, not in the core
        release.set()
        await eventually(lambda: len(entered) == DEFAULT_CONCURRENCY + 5)
        texts = [e.text for e in entered if isinstance(e, GoalPosted)]
        assert texts == [f"goal {n}" for n in range(DEFAULT_CONCURRENCY + 4)] + ["invoice March"]
    finally:
        release.set()
        await disconnect(running)


async def test_click_after_a_restart_still_resolves(fake: FakeDiscord) -> None:
    before = await connect(fake, Recorder())
    _, card = await _card_in_thread(before)
    await disconnect(before)

    after = await connect(fake, Recorder())
    try:
        clicked = await fake.click("bob", card["id"], "deputy:7:1:reject")
        (event,) = await after.recorder.wait_for(1)
        assert isinstance(event, ButtonPressed) and event.button_id == "deputy:7:1:reject"
        assert [c.type for c in fake.callbacks_for(clicked)] == [DEFERRED_UPDATE]
    finally:
        await disconnect(after)


async def test_unknown_or_malformed_buttons_get_an_ephemeral_answer_only(
    discord_bot: Running,
) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    _, card = await _card_in_thread(discord_bot)
    clicks = [
        await fake.click("alice", card["id"], custom_id)
        for custom_id in ("deputy:seven:1:approve", "deputy:7:1:launch", "someone-else:button")
    ]
    await eventually(lambda: all(fake.callbacks_for(c) for c in clicks))
    for clicked in clicks:
        (answer,) = fake.callbacks_for(clicked)
        assert answer.type == CHANNEL_MESSAGE
        assert answer.data["flags"] & EPHEMERAL
        assert "not one of Deputy's current buttons" in answer.data["content"]
    assert recorder.events == []


async def test_double_click_dispatches_twice_and_acknowledges_each_once(
    discord_bot: Running,
) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    _, card = await _card_in_thread(discord_bot)
    first = await fake.click("alice", card["id"], "deputy:7:1:approve")
    second = await fake.click("alice", card["id"], "deputy:7:1:approve")
    events = await recorder.wait_for(2)
    assert [e.event_id for e in events if isinstance(e, ButtonPressed)] == [first, second]
    assert len(fake.callbacks_for(first)) == 1 and len(fake.callbacks_for(second)) == 1


async def test_private_reply_after_a_click_is_an_ephemeral_followup(discord_bot: Running) -> None:
    fake, port, recorder = discord_bot.fake, discord_bot.port, discord_bot.recorder
    thread, card = await _card_in_thread(discord_bot)
    await fake.click("bob", card["id"], "deputy:7:1:approve")
    (event,) = await recorder.wait_for(1)
    await port.post_private(
        event.where, event.actor, Notice("Only finance can approve this.", "error")
    )
    (followup,) = fake.followups()
    assert followup.body["flags"] & EPHEMERAL
    assert followup.body["content"] == "❌ Only finance can approve this."


async def test_modify_opens_a_prefilled_form_and_sends_the_edits(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    thread, card = await _card_in_thread(discord_bot)
    opened = await fake.click("alice", card["id"], "deputy:7:1:modify")
    await eventually(lambda: bool(fake.callbacks_for(opened)))
    (form,) = fake.callbacks_for(opened)
    assert form.type == MODAL
    assert form.data["custom_id"] == "deputy-modify:7:1"
    inputs = {
        row["components"][0]["custom_id"]: row["components"][0] for row in form.data["components"]
    }
    assert inputs["step:1"]["value"] == "segment = monthly"
    # step 2's customer comes from step 1: a reference, so not offered for editing
    assert inputs["step:2"]["value"] == "amount = 120\nmonth = March"
    assert recorder.events == []

    submitted = await fake.submit_modal(
        "alice",
        card["id"],
        "deputy-modify:7:1",
        {"step:1": "segment = monthly", "step:2": "amount = 150\nmonth = March\nmemo = rush"},
    )
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, ModifySubmitted)
    assert (event.plan_id, event.version, event.where) == (7, 1, thread)
    assert event.edits == (StepEdit(2, "amount", "150"), StepEdit(2, "memo", "rush"))
    assert [c.type for c in fake.callbacks_for(submitted)] == [DEFERRED_UPDATE]
    assert not discord_bot.client._connection._view_store._modals  # open forms cost nothing


async def test_unchanged_form_is_answered_without_dispatch(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    _, card = await _card_in_thread(discord_bot)
    submitted = await fake.submit_modal(
        "alice", card["id"], "deputy-modify:7:1", {"step:1": "segment = monthly"}
    )
    await eventually(lambda: bool(fake.callbacks_for(submitted)))
    (answer,) = fake.callbacks_for(submitted)
    assert answer.type == CHANNEL_MESSAGE and answer.data["flags"] & EPHEMERAL
    assert recorder.events == []


async def test_slash_command_answers_then_threads_under_the_answer(discord_bot: Running) -> None:
    fake, port, recorder = discord_bot.fake, discord_bot.port, discord_bot.recorder
    invoked = await fake.slash("alice", "  send the March digest ")
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, GoalPosted)
    assert event.text == "send the March digest"
    (answer,) = fake.callbacks_for(invoked)
    assert answer.type == CHANNEL_MESSAGE and not answer.data.get("flags")
    assert fake.acknowledged_in(invoked) < 3
    assert event.message_id is not None and fake.messages[event.message_id]["content"].endswith(
        "send the March digest"
    )
    thread = await port.open_thread(event.where, "March digest", event.message_id)
    assert thread.thread_id == event.message_id


async def test_gateway_drop_resumes_and_the_card_can_still_be_updated(discord_bot: Running) -> None:
    fake, port, recorder = discord_bot.fake, discord_bot.port, discord_bot.recorder
    thread, card = await _card_in_thread(discord_bot)
    ref_id = card["id"]
    await fake.drop_connection()
    await fake.wait_connected(10)
    assert fake.resumes == 1 and fake.identifies == 1

    # the run went on meanwhile: its card is edited over REST once the gateway is back
    ref = MessageRef("discord", thread.channel_id, ref_id, thread.thread_id)
    await port.update(ref, plan_card(version=2))
    assert custom_ids(fake.messages[ref_id])[0] == "deputy:7:2:approve"
    # and the gateway delivers again
    await fake.click("alice", ref_id, "deputy:7:2:approve")
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, ButtonPressed) and event.button_id == "deputy:7:2:approve"


async def test_a_user_error_from_the_core_is_shown_only_to_the_clicker(fake: FakeDiscord) -> None:
    async def refusing(event: ChatEvent) -> None:
        raise UserError("This plan was replaced by version 2; use the newer card.")

    running = await connect(fake, refusing)
    try:
        _, card = await _card_in_thread(running, wait=False)
        clicked = await fake.click("alice", card["id"], "deputy:7:1:approve")
        await eventually(lambda: bool(fake.followups()))
        assert [c.type for c in fake.callbacks_for(clicked)] == [DEFERRED_UPDATE]
        (followup,) = fake.followups()
        assert followup.body["flags"] & EPHEMERAL
        assert followup.body["content"].startswith("This plan was replaced by version 2")
    finally:
        await disconnect(running)
