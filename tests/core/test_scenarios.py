"""The article scenarios as conversations through the shell adapter: goal → plan → approve → result."""

from __future__ import annotations

from typing import Any

from bot.app import Deputy
from tests.support.chat import Chat


def local(deputy: Deputy) -> Any:
    loaded = deputy.registry.get("local")
    assert loaded is not None
    return loaded.client


async def test_book_a_meeting_in_the_next_free_slot(chat: Chat, deputy: Deputy) -> None:
    answer = await chat.say("book a meeting with Ana and Ben next Tuesday about the roadmap")
    assert "Plan 1 v1" in answer and "awaiting approval" in answer
    assert "local.find_people" in answer and "local.create_event" in answer
    assert "needs approval" in answer
    outbox_before = len(await local(deputy).outbox())

    result = await chat.say("approve")
    assert "✓ Run 1: Done" in result, result
    events = (await local(deputy).list_events_between("2026-12-01T00:00:00+00:00",
                                                      "2026-12-02T00:00:00+00:00")
              if hasattr(local(deputy), "list_events_between") else None)
    del events
    outbox = await local(deputy).outbox()
    invites = [m for m in outbox[outbox_before:] if m["kind"] == "event_invite"]
    assert {m["to"] for m in invites} >= {"ana@demo-agency.example", "ben@demo-agency.example"}


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
