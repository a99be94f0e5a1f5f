"""Previews: allowed reads run before approval so the card shows real values, and the
approval is bound to the write steps those values resolve to."""

from __future__ import annotations

from sqlmodel import select

from bot.app import Deputy
from bot.chat.replies import CardState
from bot.dispatch import dispatch
from bot.domain import PlanDraft, RunStatus, Step
from bot.execution.worker import Worker
from bot.store.database import Database
from bot.store.tables import RunRow
from tests.approvals.conftest import call_local, click, reminders_sent
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.chat import Chat


def chase_plan() -> PlanDraft:
    return PlanDraft(summary="Remind overdue invoices", steps=[
        Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
        Step(id="s2", action="local.send_reminder", for_each="s1.invoices",
             args={"invoice_id": {"$ref": "item.id"}})])


async def overdue_ids(deputy: Deputy) -> list[int]:
    found = await call_local(deputy, "list_invoices", status="overdue")
    return [i["id"] for i in found["invoices"]]


async def overdue_numbers(deputy: Deputy) -> list[str]:
    found = await call_local(deputy, "list_invoices", status="overdue")
    return [i["number"] for i in found["invoices"]]


async def test_the_card_shows_what_the_reads_found_before_anyone_approves(
        build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(chase_plan())
    chat = Chat(deputy, user="Dev")
    ids = await overdue_ids(deputy)
    numbers = await overdue_numbers(deputy)
    out = await chat.say("chase overdue invoices")
    # in people's terms: the invoices by number and client, never their database ids
    assert f"local.list_invoices: {len(ids)} invoices" in out
    assert all(number in out for number in numbers)
    assert f"step 2 — local.send_reminder: {len(ids)}× — {numbers[0]} · " in out
    assert "invoice_id" not in chat.card.note
    assert chat.card.state is CardState.AWAITING
    assert await reminders_sent(database) == 0  # a preview never writes
    assert "✓ Run 1: Done" in await chat.say("approve")  # same data: the approval holds
    assert await reminders_sent(database) == len(ids)


async def test_an_invoice_paid_between_approval_and_run_voids_the_approval(
        build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(chase_plan())
    chat = Chat(deputy, user="Dev")
    ids = await overdue_ids(deputy)
    await chat.say("chase overdue invoices")
    await dispatch(deputy, click(chat, "approve"))  # approved; the run is queued, not yet run
    paid = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"][0]
    await call_local(deputy, "record_payment", invoice_id=paid["id"], amount_cents=paid["outstanding_cents"])

    start = len(chat.lines)
    assert await Worker(deputy, "w1").drain() == 1
    said = "\n".join(chat.lines[start:])

    assert await reminders_sent(database) == 0  # nothing was written
    async with database.session(all_teams=True) as session:
        run = (await session.exec(select(RunRow))).one()
    assert run.status == RunStatus.CANCELLED and "changed after approval" in run.error
    # the card asks again: a new version, with the fresh values, awaiting approval
    assert chat.card.version == 2 and chat.card.state is CardState.AWAITING
    assert "Asked again" in chat.card.note
    assert f"local.list_invoices: {len(ids) - 1} invoices" in said
    assert paid["number"] not in chat.card.note
    # the old approval does not carry over; approving the new version sends the rest
    assert "✓ Run 2: Done" in await chat.say("approve")
    assert await reminders_sent(database) == len(ids) - 1


async def test_a_plan_without_reads_runs_as_approved(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    ids = await overdue_ids(deputy)
    planner.outcomes.append(PlanDraft(summary="Remind one", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": ids[0]})]))
    chat = Chat(deputy, user="Dev")
    out = await chat.say("remind")
    # no read to run; the card still shows whom the reminder goes to (tests/approvals/test_derived.py)
    assert "will use" not in out and "step 1 (local.send_reminder) looked up: to " in out
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert await reminders_sent(database) == 1


async def test_a_plan_with_nothing_to_do_is_not_sent_for_approval(deputy: Deputy, database: Database) -> None:
    chat = Chat(deputy, user="Dev")
    said = await chat.say("chase invoices more than 90 days late")
    assert "found nothing" in said and "nothing to approve" in said
    assert "awaiting approval" not in said
    # the shell says how to answer there; there is no thread in a terminal
    assert "reply YOUR ANSWER" in said and "thread" not in said
    # nothing to approve: approving the goal's plan anyway changes nothing
    assert "is already superseded; nothing was changed" in await chat.say("approve 1")
    assert await reminders_sent(database) == 0


async def test_a_name_nobody_matches_is_asked_about_not_approved(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner)
    planner.outcomes.append(PlanDraft(summary="Meet Quentin", steps=[
        Step(id="s1", action="local.find_people", args={"names": ["Quentin"]}),
        Step(id="s2", action="local.create_event", args={
            "title": "Sync", "start": "2026-11-30T10:00:00+00:00", "end": "2026-11-30T10:30:00+00:00",
            "attendees": {"$ref": "s1.emails"}})]))
    chat = Chat(deputy, user="Dev")
    said = await chat.say("meet Quentin on Monday")
    assert "Quentin" in said and "nothing to approve" in said and "awaiting approval" not in said
