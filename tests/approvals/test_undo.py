"""Undo: a finished run offers Undo for the steps whose actions declare one; the undo is a
plan of its own, built from the run's results, and goes through the policy."""

from __future__ import annotations

from sqlmodel import col, func, select

from bot.adapters.slack.render import card_blocks
from bot.chat.buttons import parse_button
from bot.dispatch import dispatch
from bot.domain import PlanDraft, Step
from bot.flow.undo import fill
from bot.store.database import Database
from bot.store.tables import GoalRow
from integrations.local.tables import LocalEvent
from tests.approvals.conftest import click
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.builder import FakeClock
from tests.support.chat import Chat

START, END = "2026-11-26T10:00:00+00:00", "2026-11-26T10:30:00+00:00"
LATER, LATER_END = "2026-11-26T15:00:00+00:00", "2026-11-26T15:30:00+00:00"


def book_and_move() -> PlanDraft:
    return PlanDraft(summary="Book a sync, then move it", steps=[
        Step(id="s1", action="local.create_event", args={
            "title": "Sync", "start": START, "end": END, "attendees": ["ana@acme.example"]}),
        Step(id="s2", action="local.move_event", args={
            "event_id": {"$ref": "s1.id"}, "start": LATER, "end": LATER_END})])


async def event(database: Database, title: str) -> LocalEvent:
    async with database.session(all_teams=True) as session:
        return (await session.exec(select(LocalEvent).where(LocalEvent.title == title))).one()


async def test_undo_puts_back_a_move_and_cancels_the_event_after_its_own_approval(
        build: Build, database: Database) -> None:
    deputy = await build(planner=ScriptedPlanner(book_and_move()))
    chat = Chat(deputy, user="Dev")
    await chat.say("book a sync")
    out = await chat.say("approve")
    assert "✓ Run 1: Done" in out and "can be undone: type `undo`" in out
    assert (await event(database, "Sync")).status == "confirmed"

    out = await chat.say("undo")
    undo = chat.card
    assert undo.plan_id != 1 and undo.state.value == "awaiting approval"  # the policy asks first
    assert [(s.action, s.args) for s in undo.steps] == [
        ("local.move_event", {"event_id": (await event(database, "Sync")).id, "start": START, "end": END}),
        ("local.cancel_event", {"event_id": (await event(database, "Sync")).id}),
    ]
    assert (await event(database, "Sync")).status == "confirmed"  # nothing undone before approval
    assert "✓ Run 2: Done" in await chat.say("approve")
    assert (await event(database, "Sync")).status == "cancelled"


async def test_one_undo_per_run_and_only_within_the_window(
        build: Build, database: Database, fake_clock: FakeClock) -> None:
    deputy = await build(planner=ScriptedPlanner(book_and_move(), book_and_move()))
    chat = Chat(deputy, user="Dev")
    await chat.say("book a sync")
    await chat.say("approve")
    ran = chat.card
    await dispatch(deputy, click(chat, "undo"))
    chat.port.latest_card = ran  # click Undo on the first card again
    start = len(chat.lines)
    await dispatch(deputy, click(chat, "undo"))
    assert "already asked for" in "\n".join(chat.lines[start:])

    other = Chat(deputy, user="Ana")
    await other.say("book another")
    await other.say("approve")
    # the run finished at the app's time (the store stamps with the same clock): a day later
    # the window (24 h) is closed
    fake_clock.advance(hours=24, seconds=1)
    start = len(other.lines)
    await other.say("undo")
    assert "can no longer be undone" in "\n".join(other.lines[start:])
    async with database.session(all_teams=True) as session:
        undo_goals = (await session.exec(select(func.count()).select_from(GoalRow)
                                         .where(col(GoalRow.text).startswith("Undo")))).one()
    assert undo_goals == 1


async def test_undo_is_still_offered_just_inside_the_window(build: Build, fake_clock: FakeClock) -> None:
    deputy = await build(planner=ScriptedPlanner(book_and_move()))
    chat = Chat(deputy, user="Dev")
    await chat.say("book a sync")
    await chat.say("approve")
    fake_clock.advance(hours=23, minutes=59)
    assert "local.cancel_event" in await chat.say("undo")


async def test_the_slack_card_carries_the_undo_button(build: Build) -> None:
    deputy = await build(planner=ScriptedPlanner(book_and_move()))
    chat = Chat(deputy, user="Dev")
    await chat.say("book a sync")
    await chat.say("approve")
    actions = [b for b in card_blocks(chat.card) if b["type"] == "actions"]
    [button] = actions[0]["elements"]
    assert button["text"]["text"] == "Undo"
    parsed = parse_button(button["action_id"])
    assert (parsed.plan_id, parsed.version, parsed.action) == (chat.card.plan_id, 1, "undo")


def test_undo_arguments_come_from_the_call_and_its_result() -> None:
    call = {"args": {"deal_id": 7, "stage": "won"}, "result": {"previous": {"stage": "proposal"}}}
    assert fill({"deal_id": "$args.deal_id", "$merge": "$result.previous"}, call) == {
        "deal_id": 7, "stage": "proposal"}
