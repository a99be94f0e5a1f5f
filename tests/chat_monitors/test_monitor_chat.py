"""Monitors from chat, end to end through the shell session: a goal with a schedule →
monitor card → approve → an active monitor; `monitors` and `monitor …` manage it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import Deputy
from bot.dispatch import dispatch
from bot.scheduling import service
from bot.store import monitors as store
from bot.store.monitors import MonitorRow, MonitorStatus
from tests.support.chat import Chat


async def live_monitors(deputy: Deputy) -> list[MonitorRow]:
    async with deputy.database.session(all_teams=True) as session:
        return await store.all_live(session)


async def test_a_scheduled_goal_becomes_an_approved_monitor(chat: Chat, deputy: Deputy) -> None:
    said = await chat.say("every Monday at 9 post the overdue invoices to #finance")
    assert "Monitor 1 for goal" in said and "awaiting approval" in said
    assert "every Monday at 09:00 (Europe/London) → #finance, condition non_empty" in said
    assert chat.card.monitor_id == 1 and chat.card.steps[0].effect == "read"
    [proposed] = await live_monitors(deputy)
    assert proposed.status == MonitorStatus.PROPOSED  # nothing fires before approval

    refused = await chat.say("as Ben: approve")
    assert "can't approve monitor 1" in refused
    approved = await chat.say("approve")
    assert "Monitor 1 is on" in approved and "next Mon 30 Nov 09:00" in approved

    [row] = await live_monitors(deputy)
    assert row.status == MonitorStatus.ACTIVE and row.owner_key == chat.user.key
    assert (row.platform, row.channel_id) == ("shell", "finance")
    assert row.schedule == {"kind": "cron", "day_of_week": "mon", "hour": "9", "minute": "0"}
    assert row.timezone == "Europe/London" and row.condition == "non_empty"
    assert [s["action"] for s in row.plan["steps"]] == ["local.list_invoices"]
    # 09:00 in London on Monday 30 November (GMT) is 09:00 UTC
    assert service.next_run(row, deputy.clock()) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_a_monitor_in_another_time_zone_fires_at_that_local_time(deputy: Deputy) -> None:
    chat = Chat(deputy, user="Dev Patel", timezone="America/New_York")
    await chat.say("each morning at 8 tell me what's overdue")
    await chat.say("approve")
    [row] = await live_monitors(deputy)
    assert (row.channel_id, row.timezone) == ("terminal", "America/New_York")
    # 25 Nov 10:00 UTC is 05:00 in New York: the next 08:00 there is 13:00 UTC the same day
    assert service.next_run(row, deputy.clock()) == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


async def test_a_write_goal_with_a_schedule_is_refused(chat: Chat, deputy: Deputy) -> None:
    said = await chat.say("every Monday at 9 chase overdue invoices")
    assert "Monitors only read; ask for the write separately" in said
    assert await live_monitors(deputy) == []
    assert "Plan" not in said  # no card that could be approved


async def test_monitors_lists_and_manages_the_channels_monitors(chat: Chat, deputy: Deputy) -> None:
    await chat.say("every 2 hours list unpaid invoices here")
    await chat.say("approve")
    listing = await chat.say("monitors")
    assert "#1 List unpaid invoices · every 2 h" in listing
    assert "active · next Wed 25 Nov 12:00" in listing  # two hours after approval, London time

    assert "Monitor 1 is paused" in await chat.say("monitor pause 1")
    [row] = await live_monitors(deputy)
    assert row.status == MonitorStatus.PAUSED
    assert "paused · paused" in await chat.say("monitors")
    assert "is paused; nothing was changed" in await chat.say("monitor pause 1")
    assert "running again" in await chat.say("monitor resume 1")
    assert "can't delete monitor 1" in await chat.say("as Ben: monitor delete 1")
    assert "Use: monitor" in await chat.say("monitor pause")
    assert "is deleted" in await chat.say("monitor delete 1")
    assert "No monitors post to this channel" in await chat.say("monitors")


async def test_run_now_posts_a_digest_to_the_channel(chat: Chat, deputy: Deputy) -> None:
    await chat.say("every Monday at 9 list the overdue invoices here")
    await chat.say("approve")
    said = await chat.say("monitor run 1")
    assert "Monitor 1 is running now" in said
    assert "▣ List the overdue invoices" in said and "List overdue invoices: 3 invoices" in said
    # the digest shows the invoices themselves, not only how many
    assert all(number in said for number in ("INV-0001", "INV-0002", "INV-0003"))
    assert "Total: outstanding" in said
    assert "every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00 · details: run 1" in said
    assert "→ say: chase overdue invoices" in said


async def test_a_goal_without_a_schedule_is_planned_as_before(chat: Chat, deputy: Deputy) -> None:
    said = await chat.say("what's overdue?")
    assert "Plan 1 v1" in said and chat.card.monitor_id is None
    assert await live_monitors(deputy) == []


async def test_the_monitor_card_buttons_approve_it_and_refuse_strangers(chat: Chat, deputy: Deputy) -> None:
    from bot.adapters.shell.session import local_actor
    from bot.chat.buttons import parse_button
    from bot.chat.events import ButtonPressed

    await chat.say("every Monday at 9 post the overdue invoices to #finance")
    approve = next(b for b in chat.card.buttons if b.label == "Approve")
    assert parse_button(approve.id).action == "monitor-approve"
    where = chat.session.where()
    start = len(chat.lines)
    await dispatch(deputy, ButtonPressed(actor=local_actor("Alice Moore", "Europe/London"), where=where,
                                        button_id=approve.id))
    assert "can't approve monitor 1" in "\n".join(chat.lines[start:])
    assert (await live_monitors(deputy))[0].status == MonitorStatus.PROPOSED
    await dispatch(deputy, ButtonPressed(actor=chat.user, where=where, button_id=approve.id))
    assert "Monitor 1 is on" in "\n".join(chat.lines[start:])
    assert (await live_monitors(deputy))[0].status == MonitorStatus.ACTIVE


async def test_a_monitors_schedule_can_be_changed_in_chat(chat: Chat, deputy: Deputy) -> None:
    await chat.say("every Monday at 9 post the overdue invoices to #finance")
    await chat.say("approve")
    said = await chat.say("monitor schedule 1 every Tuesday at 10:30")
    assert "Monitor 1 now runs every Tuesday at 10:30" in said
    [row] = await live_monitors(deputy)
    assert row.schedule == {"kind": "cron", "day_of_week": "tue", "hour": "10", "minute": "30"}
    assert "monitor schedule ID WHEN" in await chat.say("monitor schedule 1 sometime soon")
