"""Autopilot: earned after N approved, successful runs of one plan shape by one team,
announced on every auto-run, revoked by one failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.chat.replies import CardState
from bot.domain import CannotPlan, PlanDraft, PlanningOutcome, Step
from bot.flow.autopilot import plan_shape
from bot.policy import PolicyError, load_policy, parse_policy
from bot.store.database import Database
from bot.store.tables import ApprovalRow
from tests.approvals.conftest import call_local, reminders_sent
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.chat import Chat

POLICY = """
version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: reminders
    match: {action: send_reminder}
    verdict: require_approval
    autopilot_after: 2
"""


def remind(invoice_id: int) -> PlanDraft:
    return PlanDraft(summary=f"Remind invoice {invoice_id}", steps=[
        Step(id="s1", action="local.send_reminder", args={"invoice_id": invoice_id})])


async def approvals(database: Database) -> int:
    async with database.session(all_teams=True) as session:
        return int((await session.exec(select(func.count()).select_from(ApprovalRow))).one())


async def test_autopilot_after_two_approved_runs_and_revoked_by_a_failure(
        build: Build, database: Database, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY)
    planner = ScriptedPlanner()
    deputy = await build(planner=planner, policy=load_policy(tmp_path / "p.yaml"))
    overdue = (await call_local(deputy, "list_invoices", status="overdue"))["invoices"]
    first, second = overdue[0], overdue[1]
    outcomes: list[PlanningOutcome] = [remind(first["id"]), remind(first["id"]), remind(second["id"]),
                                       remind(first["id"]), CannotPlan(message="no re-plan"),
                                       remind(second["id"])]
    planner.outcomes.extend(outcomes)
    chat = Chat(deputy, user="Dev")

    for n in (1, 2):  # earned by approved, successful runs
        await chat.say("remind")
        assert chat.card.state is CardState.AWAITING
        assert f"✓ Run {n}: Done" in await chat.say("approve")
    assert await approvals(database) == 2

    out = await chat.say("remind", as_user="Ana")  # same team, same shape, other values
    assert "Autopilot: your team has had 2 approved, successful runs" in out
    assert "✓ Run 3: Done" in out
    assert await approvals(database) == 2 and await reminders_sent(database) == 3

    # the first invoice gets paid: the next auto-run fails, and that revokes autopilot
    await call_local(deputy, "record_payment", invoice_id=first["id"], amount_cents=first["outstanding_cents"])
    out = await chat.say("remind")
    assert "Autopilot" in out and "✗ Run 4" in out
    assert "Autopilot for this kind of plan is revoked" in out
    out = await chat.say("remind")
    assert chat.card.state is CardState.AWAITING and "Autopilot" not in out


def test_the_shape_ignores_values_but_not_actions_or_keys() -> None:
    assert plan_shape(remind(1).steps) == plan_shape(remind(2).steps)
    with_message = Step(id="s1", action="local.send_reminder", args={"invoice_id": 1, "message": "hi"})
    assert plan_shape([with_message]) != plan_shape(remind(1).steps)


@pytest.mark.parametrize(("rule", "problem"), [
    ("verdict: allow\n    autopilot_after: 2", "only make sense with require_approval"),
    ("verdict: require_approval\n    autopilot_after: 0", "autopilot_after"),
    ("verdict: require_approval\n    escalate_after: soon", "must look like 30m"),
    ("verdict: require_approval\n    escalate_after: 4h\n    escalate_to: [nobody]", "unknown group"),
    ("verdict: require_approval\n    escalate_to: [leads]", "escalate_to needs escalate_after"),
])
def test_bad_autopilot_and_escalation_fields_are_refused(rule: str, problem: str) -> None:
    text = f"version: 1\ngroups: {{leads: []}}\nrules:\n  - name: r\n    {rule}\n"
    with pytest.raises(PolicyError, match=problem):
        parse_policy(text)
