"""Approved multi-step runs put straight into the store, as the approval flow would leave them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.domain import Actor, ApprovalDecision, GoalStatus, PlanDraft, PlanStatus, Step, Where
from bot.store import audit, goals, runs
from bot.store.database import Database
from bot.store.goals import StepVerdict
from tests.reliability.effects_ledger import IDEMPOTENT, PLAIN

REQUESTER = Actor(platform="shell", team_id="local", user_id="ana", display_name="Ana")


@dataclass(frozen=True)
class QueuedRun:
    run_id: int
    integration: str
    items: int  # how many writes the for_each step makes


def crash_plan(goal_no: int, integration: str, items: int) -> PlanDraft:
    """A read, a write, one write per listed item, and a last write: four steps, 2 + items writes."""
    tag = f"g{goal_no}"
    return PlanDraft(summary=f"crash-test plan {tag}", steps=[
        Step(id="s1", action=f"{integration}.list_items", args={"prefix": f"{tag}-s3", "count": items}),
        Step(id="s2", action=f"{integration}.write", args={"label": f"{tag}-s2"}),
        Step(id="s3", action=f"{integration}.write", args={"label": {"$ref": "item.label"}},
             for_each="s1.items"),
        Step(id="s4", action=f"{integration}.write", args={"label": f"{tag}-s4"}),
    ])


def _verdicts(draft: PlanDraft) -> list[StepVerdict]:
    return [StepVerdict(effect="read" if s.id == "s1" else "write",
                        verdict="allow" if s.id == "s1" else "require_approval",
                        reason="crash harness", rule="crash-harness") for s in draft.steps]


async def queue_runs(database: Database, count: int, rng: random.Random,
                     plain_share: float = 0.3) -> list[QueuedRun]:
    queued: list[QueuedRun] = []
    async with database.session() as session:
        await goals.upsert_actor(session, REQUESTER)
    for goal_no in range(1, count + 1):
        integration = PLAIN if rng.random() < plain_share else IDEMPOTENT
        items = rng.randint(1, 3)
        draft = crash_plan(goal_no, integration, items)
        async with database.session() as session:
            goal = await goals.create_goal(session, REQUESTER, Where(platform="shell", channel_id="crash"),
                                           draft.summary, f"crash-{goal_no}")
            assert goal is not None and goal.id is not None
            view = await goals.add_version(session, goal, draft, _verdicts(draft), approvals_required=1,
                                           requester_may_approve=True, reason="planned", author_key=None)
            assert view.version.id is not None
            await goals.record_decision(session, view.version, REQUESTER, ApprovalDecision.APPROVE)
            await audit.append(session, "approve", actor_key=REQUESTER.key, goal_id=goal.id,
                               data={"plan": view.plan.id, "version": 1, "fingerprint": view.version.fingerprint})
            await goals.set_version_status(session, view.version, PlanStatus.APPROVED)
            await goals.set_goal_status(session, goal, GoalStatus.RUNNING)
            run, _ = await runs.create_run(session, goal.id, view.version.id)
            assert run.id is not None
            await audit.append(session, "run_queued", actor_key=REQUESTER.key, goal_id=goal.id,
                               data={"run": run.id})
        queued.append(QueuedRun(run.id, integration, items))
    return queued
