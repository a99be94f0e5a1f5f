"""An event delivered again because the process handling it died mid-way (``redelivered``,
set by `deputy planner run` for a request whose planner's lease expired): the core finishes
what is left of the first attempt's work, once, where a platform's plain retry is ignored.
The end-to-end version, with a SIGKILLed planner process, is tests/e2e/test_planner_crash.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import delete
from sqlmodel import select

from bot.app import Deputy
from bot.chat.events import GoalPosted, ThreadReply
from bot.dispatch import dispatch
from bot.domain import Where
from bot.store import goals
from bot.store import thread as thread_messages
from bot.store.database import Database
from bot.store.tables import ChatMessageRow, GoalRow, PlanVersionRow, RunRow, ThreadMessageRow
from tests.support.builder import FakeClock
from tests.support.chat import Chat

GOAL = "book a meeting with Ana and Ben next Tuesday at 10am"


async def rows(database: Database, table: type) -> list[Any]:
    async with database.session(all_teams=True) as session:
        return list(await session.exec(select(table)))


def cards_posted(chat: Chat) -> int:
    return chat.transcript.count("Plan 1 v1 for goal #1")


def asked(chat: Chat) -> GoalPosted:
    return GoalPosted(actor=chat.user, where=Where(platform="shell", channel_id="terminal"), text=GOAL,
                      event_id="slack:Ev0GOAL")


async def test_a_goal_delivered_again_gets_only_its_missing_card(chat: Chat, deputy: Deputy,
                                                                 database: Database) -> None:
    goal = asked(chat)
    await dispatch(deputy, goal)
    assert cards_posted(chat) == 1
    await dispatch(deputy, replace(goal, redelivered=True))  # all was done: nothing more
    assert cards_posted(chat) == 1 and len(await rows(database, GoalRow)) == 1
    # the first attempt died after storing the version, before its card was recorded
    async with database.session(all_teams=True) as session:
        await session.exec(delete(ChatMessageRow))  # type: ignore[call-overload]
    await dispatch(deputy, goal)  # a platform's plain retry: still ignored
    assert cards_posted(chat) == 1
    await dispatch(deputy, replace(goal, redelivered=True))
    assert cards_posted(chat) == 2 and len(await rows(database, ChatMessageRow)) == 1
    await dispatch(deputy, replace(goal, redelivered=True))
    assert cards_posted(chat) == 2
    assert len(await rows(database, GoalRow)) == 1 and len(await rows(database, PlanVersionRow)) == 1


async def test_a_goal_delivered_again_before_it_was_planned_is_planned(chat: Chat, deputy: Deputy,
                                                                       database: Database) -> None:
    goal = asked(chat)
    async with database.session(team=chat.user.team_key) as session:  # attempt 1 got this far
        await goals.upsert_actor(session, chat.user)
        assert await goals.create_goal(session, chat.user, goal.where, GOAL, goal.event_id) is not None
    await dispatch(deputy, goal)
    assert cards_posted(chat) == 0  # a plain retry
    await dispatch(deputy, replace(goal, redelivered=True))
    assert cards_posted(chat) == 1
    assert len(await rows(database, GoalRow)) == 1 and len(await rows(database, PlanVersionRow)) == 1


async def test_a_reply_delivered_again_before_it_was_answered_is_answered_once(
        chat: Chat, deputy: Deputy, database: Database, fake_clock: FakeClock) -> None:
    await chat.say(GOAL)
    where = chat.port.current_thread
    assert where is not None
    [goal] = await rows(database, GoalRow)
    fake_clock.advance(seconds=1)
    async with database.session(team=chat.user.team_key) as session:  # attempt 1 stored it, then died
        await thread_messages.add_thread_message(session, goal.id, chat.user.label, "make it Thursday instead",
                                                 author_key=chat.user.key, event_id="slack:Ev0REPLY")
    reply = ThreadReply(actor=chat.user, where=where, text="make it Thursday instead", event_id="slack:Ev0REPLY")
    fake_clock.advance(seconds=1)
    await dispatch(deputy, reply)  # a plain retry: ignored
    assert [v.version for v in await rows(database, PlanVersionRow)] == [1]
    await dispatch(deputy, replace(reply, redelivered=True))
    assert sorted(v.version for v in await rows(database, PlanVersionRow)) == [1, 2]
    await dispatch(deputy, replace(reply, redelivered=True))  # answered now: nothing more
    assert sorted(v.version for v in await rows(database, PlanVersionRow)) == [1, 2]
    assert len(await rows(database, ThreadMessageRow)) == 1


def said(goal_text: str, chat: Chat, event_id: str) -> GoalPosted:
    return GoalPosted(actor=chat.user, where=Where(platform="shell", channel_id="terminal"),
                      text=goal_text, event_id=event_id)


async def forget_answers_posted(database: Database) -> None:
    """The first attempt stored its answer, then died before posting it."""
    async with database.session(all_teams=True) as session:
        await session.exec(delete(ChatMessageRow).where(ChatMessageRow.kind == "answer"))  # type: ignore[call-overload]


async def test_a_question_stored_but_never_posted_is_posted_once_on_redelivery(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    question = "I know nobody called Zed Zapp"
    goal = said("book a meeting with Zed Zapp next Tuesday at 10am", chat, "slack:Ev0ASK")
    await dispatch(deputy, goal)
    assert chat.transcript.count(question) == 1
    await dispatch(deputy, replace(goal, redelivered=True))  # it was posted: nothing more
    assert chat.transcript.count(question) == 1
    await forget_answers_posted(database)
    await dispatch(deputy, goal)  # a platform's plain retry: still ignored
    assert chat.transcript.count(question) == 1
    await dispatch(deputy, replace(goal, redelivered=True))
    assert chat.transcript.count(question) == 2
    await dispatch(deputy, replace(goal, redelivered=True))  # recorded as posted now
    assert chat.transcript.count(question) == 2
    assert len(await rows(database, GoalRow)) == 1 and await rows(database, PlanVersionRow) == []


async def test_an_i_cannot_stored_but_never_posted_is_posted_once_on_redelivery(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    goal = said("order pizza for the team", chat, "slack:Ev0PIZZA")
    await dispatch(deputy, goal)
    assert chat.transcript.count("ANTHROPIC_API_KEY") == 1
    await forget_answers_posted(database)
    await dispatch(deputy, replace(goal, redelivered=True))
    assert chat.transcript.count("ANTHROPIC_API_KEY") == 2
    await dispatch(deputy, replace(goal, redelivered=True))
    assert chat.transcript.count("ANTHROPIC_API_KEY") == 2


async def test_a_read_only_plan_whose_run_never_started_is_started_on_redelivery(
        chat: Chat, deputy: Deputy, database: Database, monkeypatch: Any) -> None:
    import bot.flow.proposals

    async def died_before_starting(*args: Any, **kwargs: Any) -> None:
        return None  # the first attempt's process died after posting the card

    goal = said("what's overdue?", chat, "slack:Ev0OVERDUE")
    with monkeypatch.context() as patched:
        patched.setattr(bot.flow.proposals, "start_run", died_before_starting)
        await dispatch(deputy, goal)
    assert "runs without approval" in chat.transcript and await rows(database, RunRow) == []
    await dispatch(deputy, goal)  # a platform's plain retry: still ignored
    assert await rows(database, RunRow) == []
    await dispatch(deputy, replace(goal, redelivered=True))
    await chat.session.worker.drain()
    assert [run.status for run in await rows(database, RunRow)] == ["succeeded"]
    assert "3 invoices" in chat.transcript
    await dispatch(deputy, replace(goal, redelivered=True))  # the run exists: nothing more
    await chat.session.worker.drain()
    assert len(await rows(database, RunRow)) == 1 and cards_posted_of(chat, "Plan 1 v1") == 1


def cards_posted_of(chat: Chat, title: str) -> int:
    return chat.transcript.count(title)


async def test_a_reply_delivered_again_after_its_version_was_stored_gets_the_missing_card(
        chat: Chat, deputy: Deputy, database: Database, fake_clock: FakeClock, monkeypatch: Any) -> None:
    await chat.say(GOAL)
    where = chat.port.current_thread
    assert where is not None
    fake_clock.advance(seconds=1)
    reply = ThreadReply(actor=chat.user, where=where, text="make it Thursday instead", event_id="slack:Ev0LATE")
    replying = deputy.planner.plan

    async def later(*args: Any, **kwargs: Any) -> Any:  # planning takes a second: the version comes after
        fake_clock.advance(seconds=1)
        return await replying(*args, **kwargs)

    monkeypatch.setattr(deputy.planner, "plan", later)
    await dispatch(deputy, reply)
    assert cards_posted_of(chat, "Plan 1 v2") == 1
    # the first attempt died after storing version 2, before its card was recorded
    [v2] = [v for v in await rows(database, PlanVersionRow) if v.version == 2]
    async with database.session(all_teams=True) as session:
        await session.exec(delete(ChatMessageRow).where(ChatMessageRow.plan_version_id == v2.id))  # type: ignore[call-overload]
    await dispatch(deputy, reply)  # a platform's plain retry: still ignored
    assert cards_posted_of(chat, "Plan 1 v2") == 1
    await dispatch(deputy, replace(reply, redelivered=True))
    assert cards_posted_of(chat, "Plan 1 v2") == 2  # the shell cannot look: posted again
    assert [c.plan_version_id for c in await rows(database, ChatMessageRow)
            if c.kind == "plan_card" and c.plan_version_id == v2.id] == [v2.id]
    await dispatch(deputy, replace(reply, redelivered=True))  # recorded now: nothing more
    assert cards_posted_of(chat, "Plan 1 v2") == 2
    assert sorted(v.version for v in await rows(database, PlanVersionRow)) == [1, 2]
