"""Nothing waits forever: a plan not approved in time is rejected (never run) and its card
says so; an escalation reminds once before that; a run no worker picks up fails."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.chat.replies import CardState
from bot.dispatch import dispatch
from bot.domain import PlanDraft, RunStatus, Step
from bot.execution.worker import Worker
from bot.flow.expiry import expire_and_escalate
from bot.policy import Policy, load_policy
from bot.store.database import Database
from bot.store.tables import PlanVersionRow, RunRow
from tests.approvals.conftest import call_local, click, reminders_sent
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.builder import FakeClock
from tests.support.chat import Chat

POLICY = """
version: 1
default: deny
groups: {finance: ["shell:local:julia"], leads: []}
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: reminders
    match: {action: send_reminder}
    verdict: require_approval
    approvers: [finance]
    escalate_after: 4h
    escalate_to: [leads]
"""


async def remind_chat(build: Build, policy: Policy | None = None) -> Chat:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=policy)
    overdue = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"]
    planner.outcomes.append(PlanDraft(summary="Remind one", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": overdue[0]["id"]})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("remind")
    return chat


async def proposed_at(database: Database) -> datetime:
    async with database.session(all_teams=True) as session:
        return (await session.exec(select(PlanVersionRow))).one().created_at


async def test_an_unapproved_plan_expires_after_24_hours_and_never_runs(
        build: Build, database: Database, fake_clock: FakeClock) -> None:
    chat = await remind_chat(build)
    deputy = chat.app
    born = await proposed_at(database)
    assert await expire_and_escalate(deputy, born + timedelta(hours=23)) == 0
    assert chat.card.state is CardState.AWAITING

    fake_clock.set(born + timedelta(hours=24, minutes=1))
    await Worker(deputy, "w1").sweep()  # what the worker loop runs every few polls
    assert chat.card.state is CardState.REJECTED
    assert "Expired: not approved within 24 h" in chat.card.note and not chat.card.buttons
    out = await chat.say("approve")
    assert "already rejected" in out
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(RunRow))).first() is None
    assert await reminders_sent(database) == 0


async def test_a_waiting_plan_is_escalated_once_before_it_expires(
        build: Build, database: Database, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    chat = await remind_chat(build, load_policy(tmp_path / "p.yaml"))
    deputy = chat.app
    born = await proposed_at(database)
    start = len(chat.lines)
    assert await expire_and_escalate(deputy, born + timedelta(hours=3)) == 0
    assert await expire_and_escalate(deputy, born + timedelta(hours=5)) == 1
    assert await expire_and_escalate(deputy, born + timedelta(hours=6)) == 0  # said once
    said = "\n".join(chat.lines[start:])
    assert "has waited 4 h for approval by @finance (rule `reminders`); escalated to @leads" in said
    assert chat.card.state is CardState.AWAITING
    assert "✓ Run 1: Done" in await chat.say("as Julia: approve")  # still approvable before expiry


async def test_a_queued_run_no_worker_starts_fails_without_running(
        build: Build, database: Database) -> None:
    chat = await remind_chat(build)
    deputy = chat.app
    await dispatch(deputy, click(chat, "approve"))  # queued; no worker is running
    async with database.session(all_teams=True) as session:
        queued = (await session.exec(select(RunRow))).one()
    assert queued.status == RunStatus.QUEUED
    assert await expire_and_escalate(deputy, queued.created_at + timedelta(minutes=61)) == 1
    assert chat.card.state is CardState.FAILED and "no worker started it within 1 h" in chat.card.note
    assert await Worker(deputy, "w1").drain() == 0
    assert await reminders_sent(database) == 0
