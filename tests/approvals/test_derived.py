"""Derived values: what a write does that its arguments do not say (the billing email a
reminder goes to, the amount an invoice bills) is on the card, bound to the approval, and
looked up again before every call; a change stops the run and asks again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.app import Deputy
from bot.chat.replies import CardState
from bot.dispatch import dispatch
from bot.domain import LOCAL_TEAM, PlanDraft, RunStatus, Step
from bot.errors import DatabaseUnavailable
from bot.execution.worker import Worker
from bot.flow import derived
from bot.flow.answers import money
from bot.store.database import Database
from bot.store.tables import RunRow
from integrations.local.tables import LocalBillingClient, LocalInvoice, LocalOutbox, LocalTimeEntry
from tests.approvals.conftest import call_local, click
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.builder import FakeClock
from tests.support.chat import Chat

THIEF = "payables@attacker.example"


def chase_plan() -> PlanDraft:
    return PlanDraft(summary="Remind overdue invoices", steps=[
        Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
        Step(id="s2", action="local.send_reminder", for_each="s1.invoices",
             args={"invoice_id": {"$ref": "item.id"}})])


async def overdue(deputy: Deputy) -> list[dict[str, Any]]:
    return list((await call_local(deputy, "list_invoices", status="overdue"))["invoices"])


async def set_billing_email(database: Database, client_id: int, email: str) -> None:
    async with database.session(all_teams=True) as session:
        client = await session.get(LocalBillingClient, client_id)
        assert client is not None
        client.email = email
        session.add(client)


async def mails(database: Database) -> list[LocalOutbox]:
    async with database.session(all_teams=True) as session:
        return list((await session.exec(select(LocalOutbox).where(LocalOutbox.kind == "reminder"))).all())


async def the_run(database: Database) -> RunRow:
    async with database.session(all_teams=True) as session:
        return (await session.exec(select(RunRow).order_by(RunRow.id))).all()[-1]  # type: ignore[arg-type]


async def invoice_ids(database: Database) -> list[int | None]:
    async with database.session(all_teams=True) as session:
        return [i.id for i in (await session.exec(select(LocalInvoice))).all()]


async def test_the_card_shows_who_each_reminder_goes_to(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(chase_plan())
    chat = Chat(deputy, user="Dev")
    invoices = await overdue(deputy)
    await chat.say("chase overdue invoices")
    note = chat.card.note
    for invoice in invoices:
        assert f"to {invoice['email']}, amount {money(invoice['outstanding_cents'], 'USD')}" in note
    assert await mails(database) == []
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert sorted(m.to for m in await mails(database)) == sorted(i["email"] for i in invoices)


async def test_a_billing_email_changed_after_approval_gets_nothing_and_the_plan_asks_again(
        build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(chase_plan())
    chat = Chat(deputy, user="Dev")
    invoices = await overdue(deputy)
    target = invoices[0]
    await chat.say("chase overdue invoices")
    await dispatch(deputy, click(chat, "approve"))  # approved; the run waits for a worker
    await set_billing_email(database, target["client_id"], THIEF)

    start = len(chat.lines)
    assert await Worker(deputy, "w1").drain() == 1
    said = "\n".join(chat.lines[start:])

    assert await mails(database) == []  # not the new address, nor anyone else
    run = await the_run(database)
    assert run.status == RunStatus.CANCELLED and run.error is not None
    assert f"it would now send to {THIEF} (approved: {target['email']})" in run.error
    # the thread says why, and a new version shows the new address, waiting for approval
    assert f"it would now send to {THIEF}" in said
    assert chat.card.version == 2 and chat.card.state is CardState.AWAITING
    assert f"to {THIEF}" in chat.card.note
    assert "✓ Run 2: Done" in await chat.say("approve")  # seen and approved: now it may
    assert THIEF in [m.to for m in await mails(database)]


async def test_a_single_reminder_without_reads_is_bound_too(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    target = (await overdue(deputy))[0]
    planner.outcomes.append(PlanDraft(summary="Remind one", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": target["id"]})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("remind")
    assert f"to {target['email']}" in chat.card.note
    await dispatch(deputy, click(chat, "approve"))
    await set_billing_email(database, target["client_id"], THIEF)
    await Worker(deputy, "w1").drain()
    assert await mails(database) == []
    assert (await the_run(database)).status == RunStatus.CANCELLED
    assert chat.card.version == 2


async def test_time_logged_after_approval_changes_the_amount_and_voids_it(
        build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    clients = (await call_local(deputy, "list_clients"))["clients"]
    client = clients[0]
    period = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
    planner.outcomes.append(PlanDraft(summary="Invoice", steps=[
        Step(id="s1", action="local.create_invoice", args={"client_id": client["id"], **period})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("invoice them")
    estimate = await call_local(deputy, "estimate_invoice", client_id=client["id"], **period)
    assert f"amount {money(estimate['amount_cents'], 'USD')}" in chat.card.note
    await dispatch(deputy, click(chat, "approve"))
    before = await invoice_ids(database)
    async with database.session(team=LOCAL_TEAM) as session:  # the shell's time sheet
        session.add(LocalTimeEntry(client_id=client["id"], person="ben@agency.example",
                                   day=deputy.clock().date(), minutes=600))
    await Worker(deputy, "w1").drain()
    assert await invoice_ids(database) == before  # no invoice for an amount nobody approved
    run = await the_run(database)
    assert run.status == RunStatus.CANCELLED and "amount_cents is now" in (run.error or "")


async def test_a_recipient_looked_up_after_an_earlier_write_must_be_one_the_card_showed(
        build: Build, database: Database) -> None:
    """send_invoice uses the invoice create_invoice returns, so its recipient cannot be looked
    up before approval; the card showed the billing email create_invoice would use. If the
    email changes between the two writes, the invoice is not sent and the plan asks again."""
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    client = (await call_local(deputy, "list_clients"))["clients"][0]
    period = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
    planner.outcomes.append(PlanDraft(summary="Invoice and send", steps=[
        Step(id="s1", action="local.create_invoice", args={"client_id": client["id"], **period}),
        Step(id="s2", action="local.send_invoice", args={"invoice_id": {"$ref": "s1.id"}})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("invoice them")
    assert f"billing email {client['email']}" in chat.card.note
    assert "looked up when it runs" in chat.card.note
    await dispatch(deputy, click(chat, "approve"))
    before = await invoice_ids(database)

    # someone changes the billing email while step 1 runs
    loaded = deputy.registry.get("local")
    assert loaded is not None
    create = loaded.actions.functions["create_invoice"]

    async def create_then_change(local: Any, ctx: Any, /, **args: Any) -> Any:
        made = await create(local, ctx, **args)
        await set_billing_email(database, client["id"], THIEF)
        return made

    loaded.actions.functions["create_invoice"] = create_then_change
    try:
        start = len(chat.lines)
        await Worker(deputy, "w1").drain()
    finally:
        loaded.actions.functions["create_invoice"] = create
    said = "\n".join(chat.lines[start:])

    async with database.session(all_teams=True) as session:
        outbox = (await session.exec(select(LocalOutbox))).all()
        made = [i for i in (await session.exec(select(LocalInvoice))).all() if i.id not in before]
    assert outbox == []  # the invoice was not sent anywhere
    assert [i.status for i in made] == ["draft"]  # step 1 ran; step 2 stopped before sending
    run = await the_run(database)
    assert run.status == RunStatus.FAILED
    assert f"it would send to {THIEF}, an address the approval did not show" in (run.error or "")
    assert f"it would send to {THIEF}" in said
    # the failed run goes back to the planner: whatever it proposes is a new version to approve
    [replan] = planner.replans
    assert replan.failed_step == "s2" and THIEF in replan.error


@pytest.mark.parametrize("when", ["approval check", "before the call"])
async def test_a_lost_database_during_the_look_up_again_is_not_a_step_failure(
        build: Build, database: Database, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        when: str) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(chase_plan())
    chat = Chat(deputy, user="Dev")
    invoices = await overdue(deputy)
    await chat.say("chase overdue invoices")
    await dispatch(deputy, click(chat, "approve"))  # approved; the run waits for a worker
    real = derived.derive

    async def gone(app: Deputy, requester: Any, action: str, args: Any, key: str) -> Any:
        # keys: deputy-runN-derived-STEP-I before the first write, deputy-runN-STEP-I-derived at each call
        if (when == "approval check") == ("-derived-" in key):
            raise DatabaseUnavailable("The database cannot be reached right now.")
        return await real(app, requester, action, args, key)

    monkeypatch.setattr(derived, "derive", gone)
    with pytest.raises(DatabaseUnavailable):
        await Worker(deputy, "w1").drain()
    run = await the_run(database)
    assert run.status == RunStatus.RUNNING and not run.error  # nothing failed, nothing sent
    assert await mails(database) == []
    # the database is back: once the lease lapses, another worker finishes the same run
    monkeypatch.setattr(derived, "derive", real)
    fake_clock.advance(seconds=deputy.settings.run_lease_seconds + 1)
    assert await Worker(deputy, "w2").drain() == 1
    assert (await the_run(database)).status == RunStatus.SUCCEEDED
    assert sorted(m.to for m in await mails(database)) == sorted(i["email"] for i in invoices)
