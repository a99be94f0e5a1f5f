"""The article scenarios as conversations through the shell adapter: goal → plan → approve → result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from bot.app import Deputy
from bot.domain import LOCAL_TEAM
from integrations.local.tables import LocalEvent
from tests.support.chat import Chat


def local(deputy: Deputy) -> Any:
    loaded = deputy.registry.get("local")
    assert loaded is not None
    return loaded.client


async def booked(deputy: Deputy, title: str) -> list[LocalEvent]:
    async with deputy.database.session(all_teams=True) as session:
        return list((await session.exec(select(LocalEvent).where(LocalEvent.title == title))).all())


async def test_book_a_meeting_in_the_next_free_slot(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("book a meeting with Ana and Ben next Tuesday about the roadmap")
    assert "Plan 1 v1" in answer and "awaiting approval" in answer
    assert "local.find_people" in answer and "local.create_event" in answer
    assert "needs approval" in answer
    outbox_before = len(await local(deputy).outbox())

    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result, result
    # next Tuesday (NOW is Wednesday 25 November): the seeded standup starts at 09:30 London
    # (UTC in December), so the first free 30 minutes of the working day are 09:00-09:30
    [event] = await booked(deputy, "Roadmap")
    assert (event.start, event.end) == (datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                                        datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    outbox = await local(deputy).outbox()
    invites = [m for m in outbox[outbox_before:] if m["kind"] == "event_invite"]
    assert {m["to"] for m in invites} >= {"ana@demo-agency.example", "ben@demo-agency.example"}


async def test_a_busy_slot_moves_the_meeting_to_the_next_free_one(chat: Chat, deputy: Deputy) -> None:
    async with deputy.database.session(team=LOCAL_TEAM) as session:  # the shell's calendar
        session.add(LocalEvent(title="Dentist", attendees=["ben@demo-agency.example"],
                               start=datetime(2026, 12, 1, 8, 45, tzinfo=UTC),
                               end=datetime(2026, 12, 1, 9, 15, tzinfo=UTC)))
    await chat.say("book a meeting with Ana and Ben next Tuesday about the roadmap")
    assert "✓ Run 1: Done" in await chat.say("approve")
    # 09:15-09:30 is too short before the 09:30-09:45 standup: the next 30 free minutes follow it
    [event] = await booked(deputy, "Roadmap")
    assert (event.start, event.end) == (datetime(2026, 12, 1, 9, 45, tzinfo=UTC),
                                        datetime(2026, 12, 1, 10, 15, tzinfo=UTC))


async def test_invoice_a_client_for_last_month(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("invoice Acme for last month")
    assert "local.unbilled_time" in answer and "local.create_invoice" in answer
    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result, result
    sent = [m for m in await local(deputy).outbox() if m["kind"] == "invoice"]
    assert [m["to"] for m in sent] == ["billing@acme.example"]


async def test_chase_overdue_invoices(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("chase overdue invoices")
    assert "local.list_invoices" in answer and "local.send_reminder" in answer
    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result, result
    reminders = [m for m in await local(deputy).outbox() if m["kind"] == "reminder"]
    assert len(reminders) == 3
    # the overdue invoices got exactly one reminder each
    assert len({m["to"] for m in reminders}) == 3


async def test_a_read_only_goal_runs_without_approval(chat: Chat) -> None:
    answer = await chat.say("what's overdue?")
    assert "runs without approval" in answer
    assert "✓ Run 1: Done" in answer
    assert "3 invoices" in answer


async def test_an_unplannable_goal_gets_an_honest_answer(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("order pizza for the team")
    assert "ANTHROPIC_API_KEY" in answer
    assert "Plan" not in answer.split("\n")[0]
