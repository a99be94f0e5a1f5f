"""Monitors end to end over the core: created as a proposal, approved, fired, executed by a
worker like any run, posted as a digest (or held back by its condition)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import Deputy
from bot.chat.replies import Digest, Notice, RunResult
from bot.domain import LOCAL_TEAM, PlanDraft, Step
from bot.errors import UserError
from bot.execution.worker import Worker
from bot.scheduling import service
from bot.scheduling.firing import enqueue_firing
from bot.scheduling.model import PostWhen, Schedule
from bot.store import firings
from bot.store.tables import RunRow
from integrations.local.tables import LocalInvoice
from tests.scheduling.conftest import FINANCE, OWNER, START, Clock, RecordingPort

OVERDUE = PlanDraft(summary="overdue invoices",
                    steps=[Step(id="s1", action="local.list_invoices", args={"status": "overdue"})])
TEMPLATE = ["{s1.invoices|count} overdue invoices", "each s1.invoices: {number} {client}"]


async def approved(deputy: Deputy, condition: PostWhen = PostWhen.ALWAYS) -> int:
    row = await service.create_monitor(deputy, OWNER, "Overdue invoices", OVERDUE,
                                       Schedule.at(day_of_week="mon", hour=9), FINANCE,
                                       condition=condition, template=TEMPLATE,
                                       follow_up="send reminders for the overdue invoices")
    assert row.id is not None
    await service.approve(deputy, row.id, OWNER)
    return row.id


def digests(port: RecordingPort) -> list[str]:
    return [r.as_text() for w, r in port.posts if isinstance(r, Digest) and w.channel_id == "finance"]


async def test_a_monitor_may_only_read(deputy: Deputy) -> None:
    writes = PlanDraft(summary="x", steps=[Step(id="s1", action="local.send_reminder", args={"invoice_id": 1})])
    with pytest.raises(UserError, match="may only read"):
        await service.create_monitor(deputy, OWNER, "bad", writes, Schedule.every(3600), FINANCE)


async def test_proposed_monitor_does_not_fire_until_approved(deputy: Deputy, clock: Clock) -> None:
    row = await service.create_monitor(deputy, OWNER, "Overdue", OVERDUE, Schedule.every(3600), FINANCE)
    assert row.id is not None
    assert (await enqueue_firing(deputy, row.id, clock.now)).outcome == "inactive"
    [listing] = await service.list_for_channel(deputy, LOCAL_TEAM, "shell", "finance")
    assert listing.monitor.status == "proposed" and listing.next_run is None
    await service.approve(deputy, row.id, OWNER)
    [listing] = await service.list_for_channel(deputy, LOCAL_TEAM, "shell", "finance")
    assert listing.next_run == START + timedelta(hours=1)


async def test_firing_runs_through_a_worker_and_posts_a_digest_once(
        seeded: Deputy, port: RecordingPort, clock: Clock) -> None:
    deputy = seeded
    monitor_id = await approved(deputy)
    first = await enqueue_firing(deputy, monitor_id, clock.now)
    again = await enqueue_firing(deputy, monitor_id, clock.now)  # a takeover firing the same time
    assert (first.outcome, again.outcome) == ("queued", "duplicate")
    assert await Worker(deputy).drain() == 1
    [text] = digests(port)
    assert "overdue invoices" in text and "INV-" in text
    assert "send reminders for the overdue invoices" in text  # the ready plan on offer
    assert not any(isinstance(r, RunResult) for _, r in port.posts)


async def test_non_empty_condition_stays_quiet_when_nothing_is_found(
        seeded: Deputy, port: RecordingPort, clock: Clock) -> None:
    deputy = seeded
    monitor_id = await approved(deputy, PostWhen.NON_EMPTY)
    async with deputy.database.session(all_teams=True) as session:
        for invoice in await session.exec(select(LocalInvoice)):
            invoice.status = "paid"
            session.add(invoice)
    await enqueue_firing(deputy, monitor_id, clock.now)
    await Worker(deputy).drain()
    assert digests(port) == []
    async with deputy.database.session(all_teams=True) as session:
        [firing] = await firings.firings_of(session, monitor_id)
    assert firing.outcome == "quiet"


async def test_changed_condition_posts_only_when_the_outputs_change(
        seeded: Deputy, port: RecordingPort, clock: Clock) -> None:
    deputy = seeded
    monitor_id = await approved(deputy, PostWhen.CHANGED)
    for minutes in (0, 1):
        await enqueue_firing(deputy, monitor_id, clock.now + timedelta(minutes=minutes))
        await Worker(deputy).drain()
    assert len(digests(port)) == 1
    async with deputy.database.session(all_teams=True) as session:
        invoice = (await session.exec(select(LocalInvoice).where(LocalInvoice.status == "sent"))).first()
        assert invoice is not None
        invoice.status = "paid"
        session.add(invoice)
    await enqueue_firing(deputy, monitor_id, clock.now + timedelta(minutes=2))
    await Worker(deputy).drain()
    assert len(digests(port)) == 2


async def test_pause_resume_and_delete(deputy: Deputy, clock: Clock) -> None:
    monitor_id = await approved(deputy)
    await service.pause(deputy, monitor_id, OWNER)
    assert (await enqueue_firing(deputy, monitor_id, clock.now)).outcome == "inactive"
    [listing] = await service.list_for_channel(deputy, LOCAL_TEAM, "shell", "finance")
    assert listing.next_run is None
    with pytest.raises(UserError, match="paused"):
        await service.pause(deputy, monitor_id, OWNER)
    await service.resume(deputy, monitor_id, OWNER)
    assert (await enqueue_firing(deputy, monitor_id, clock.now)).outcome == "queued"
    await service.delete(deputy, monitor_id, OWNER)
    assert await service.list_for_channel(deputy, LOCAL_TEAM, "shell", "finance") == []


# the CRM integration declares credentials; this owner never connected it
@pytest.mark.parametrize("integrations", [["local", "crm"]], ids=["with-crm"])
async def test_missing_credentials_tell_the_owner_instead_of_posting(
        deputy: Deputy, port: RecordingPort, clock: Clock) -> None:
    crm = PlanDraft(summary="deals", steps=[Step(id="s1", action="crm.search_contacts", args={"query": "acme"})])
    row = await service.create_monitor(deputy, OWNER, "Deals", crm, Schedule.every(3600), FINANCE)
    assert row.id is not None
    await service.approve(deputy, row.id, OWNER)
    result = await enqueue_firing(deputy, row.id, clock.now)
    assert result.outcome == "no_credentials" and result.missing == ("crm",)
    assert digests(port) == []
    [(who, notice)] = port.private
    assert who.key == OWNER.key and isinstance(notice, Notice) and "connect crm" in notice.text
    async with deputy.database.session(all_teams=True) as session:
        assert list(await session.exec(select(RunRow))) == []


async def test_run_now_is_refused_to_strangers(deputy: Deputy) -> None:
    from bot.domain import Actor

    monitor_id = await approved(deputy)
    stranger = Actor(platform="shell", team_id="local", user_id="eve")
    with pytest.raises(UserError, match="only its owner"):
        await service.run_now(deputy, monitor_id, stranger)
    with pytest.raises(UserError, match="only its owner"):
        await service.pause(deputy, monitor_id, stranger)
    assert (await service.run_now(deputy, monitor_id, OWNER)).outcome == "queued"
