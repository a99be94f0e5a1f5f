"""Through the chat: a payment split into steps under a per-step guardrail is still denied,
because the plan's total is over; nothing is recorded."""

from __future__ import annotations

from sqlmodel import func, select

from bot.domain import PlanDraft, Step
from bot.policy import parse_policy
from bot.store.database import Database
from bot.store.tables import RunRow
from integrations.local.tables import LocalPayment
from tests.approvals.conftest import call_local
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.chat import Chat

POLICY = """
default: require_approval
guardrails:
  - name: payment-cap
    match: {action: record_payment, when: "amount_cents > 100000"}
    reason: no payment above 1,000.00
  - name: payment-total-cap
    match: {action: record_payment, when: "sum(amount_cents) > 100000"}
    reason: no more than 1,000.00 of payments in one plan
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
"""


async def payments(database: Database) -> int:
    async with database.session(all_teams=True) as session:
        return int((await session.exec(select(func.count()).select_from(LocalPayment))).one())


async def test_a_payment_split_under_the_per_step_guardrail_is_denied(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=parse_policy(POLICY, "caps.yaml"))
    invoice = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"][0]
    assert invoice["outstanding_cents"] > 150000
    split = [Step(id=f"s{i}", action="local.record_payment",
                  args={"invoice_id": invoice["id"], "amount_cents": 30000}) for i in range(1, 6)]
    planner.outcomes.append(PlanDraft(summary="Record 1,500.00 in five parts", steps=split))
    chat = Chat(deputy, user="Dev")
    before = await payments(database)

    out = await chat.say("record 1500 against the oldest overdue invoice")

    assert chat.card.denied and "Approve" not in [b.label for b in chat.card.buttons]
    assert "no more than 1,000.00 of payments in one plan" in out
    assert "sum(amount_cents) over the plan (5 calls) is 150000, > 100000" in out
    said = await chat.say("approve")
    assert "a step the policy denies, so it cannot be approved" in said
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(func.count()).select_from(RunRow))).one() == 0
    assert await payments(database) == before  # nothing recorded


async def test_the_same_split_under_the_total_waits_for_approval(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=parse_policy(POLICY, "caps.yaml"))
    invoice = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"][0]
    split = [Step(id=f"s{i}", action="local.record_payment",
                  args={"invoice_id": invoice["id"], "amount_cents": 20000}) for i in range(1, 6)]
    planner.outcomes.append(PlanDraft(summary="Record 1,000.00 in five parts", steps=split))
    chat = Chat(deputy, user="Dev")
    before = await payments(database)
    await chat.say("record 1000")
    assert not chat.card.denied
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert await payments(database) == before + 5


SEEN_POLICY = """
default: require_approval
groups:
  finance: ["shell:local:fin"]
guardrails:
  - name: invoice-cap
    match: {action: create_invoice, when: "sum(amount_cents) > 100000"}
    reason: no invoice above 1,000.00 without the boss
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: outside-mail
    match: {when: "count(recipients outside_domains demo-agency.example) > 0"}
    verdict: require_approval
    approvers: [finance]
    requester_may_approve: false
"""


async def test_a_recipient_looked_up_by_the_preview_counts_for_the_policy(build: Build, database: Database) -> None:
    """send_reminder(invoice_id) says no address; its billing email, looked up before approval,
    is outside the agency, so the rule on outside recipients asks finance."""
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=parse_policy(SEEN_POLICY, "seen.yaml"))
    invoice = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"][0]
    planner.outcomes.append(PlanDraft(summary="Remind", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": invoice["id"]})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("remind")
    assert "With the values looked up: step 1 needs 1 approval from @finance" in chat.card.note
    assert "count(recipients outside_domains [demo-agency.example]) over the plan (1 call) is 1" in chat.card.note
    said = await chat.say("approve")  # Dev is the requester and not in finance
    assert "Run 1" not in said
    final = await chat.say("approve", as_user="Fin")
    assert "✓ Run 1: Done" in final, chat.transcript[-3000:]


async def test_an_amount_looked_up_by_the_preview_meets_the_guardrail(build: Build, database: Database) -> None:
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=parse_policy(SEEN_POLICY, "seen.yaml"))
    client = (await call_local(deputy, "list_clients"))["clients"][0]
    period = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
    estimate = await call_local(deputy, "estimate_invoice", client_id=client["id"], **period)
    assert estimate["amount_cents"] > 100000
    planner.outcomes.append(PlanDraft(summary="Invoice", steps=[
        Step(id="s1", action="local.create_invoice", args={"client_id": client["id"], **period})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("invoice them")
    assert chat.card.denied and "no invoice above 1,000.00 without the boss" in chat.card.note
    assert "a step the policy denies" in await chat.say("approve", as_user="Fin")
    async with database.session(all_teams=True) as session:
        assert (await session.exec(select(func.count()).select_from(RunRow))).one() == 0
