"""An approved run put straight into the store, as the approval flow leaves it (a version with
the requester's approval, the goal running, the run queued): where the tests and benches of
the executor start (tests/core/test_lean_step.py, bench/bench_parallel.py)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Actor, ApprovalDecision, GoalStatus, PlanDraft, PlanStatus, Where
from bot.store import goals, runs
from bot.store.database import Database
from bot.store.goals import StepVerdict


def allowed(draft: PlanDraft, effect: str = "read", why: str = "test") -> list[StepVerdict]:
    """Every step of ``draft`` allowed, with this effect."""
    return [StepVerdict(effect=effect, verdict="allow", reason=why, rule=why) for _ in draft.steps]


async def queue_approved(db: Database, requester: Actor, draft: PlanDraft, verdicts: Sequence[StepVerdict],
                         *, channel: str, message_id: str) -> int:
    """The queued run's id; the goal is ``requester``'s, in ``channel`` of its platform,
    posted as ``message_id`` (unique per goal)."""
    async with db.session(team=requester.team_key) as session:
        await goals.upsert_actor(session, requester)
        goal = await goals.create_goal(session, requester, Where(platform=requester.platform, channel_id=channel),
                                       draft.summary, message_id)
        assert goal is not None and goal.id is not None
        view = await goals.add_version(session, goal, draft, list(verdicts), approvals_required=0,
                                       requester_may_approve=True, reason="planned", author_key=None)
        assert view.version.id is not None
        await goals.record_decision(session, view.version, requester, ApprovalDecision.APPROVE)
        await goals.set_version_status(session, view.version, PlanStatus.APPROVED)
        await goals.set_goal_status(session, goal, GoalStatus.RUNNING)
        run, _ = await runs.create_run(session, goal.id, view.version.id)
        assert run.id is not None
        return run.id
