"""A run a test moves by hand, step by step, as a worker would record it: what a live run
page shows while the run is still going. It is made running, under a long lease of a
worker that is not there, so no real worker claims it meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Actor, PlanDraft, RunStatus, Step, StepStatus, Where
from bot.store import goals, runs
from bot.store.database import Database
from bot.store.goals import StepVerdict


async def held_run(database: Database, requester: Actor, text: str = "list the overdue invoices") -> tuple[int, list[str]]:
    """A queued run of a two-step read plan; (run id, step ids)."""
    draft = PlanDraft(summary=text, steps=[
        Step(id="s1", action="local.list_invoices", args={"status": "overdue"}),
        Step(id="s2", action="local.list_clients", args={})])
    verdict = StepVerdict(effect="read", verdict="allow", reason="reads run alone", rule="reads-run-alone")
    async with database.session(team=requester.team_key) as session:
        await goals.upsert_actor(session, requester)
        goal = await goals.create_goal(session, requester, Where(platform=requester.platform,
                                                                 channel_id="C0PLANS"), text, None)
        assert goal is not None and goal.id is not None
        view = await goals.add_version(session, goal, draft, [verdict, verdict], approvals_required=0,
                                       requester_may_approve=True, reason="planned", author_key=None)
        assert view.version.id is not None
        run, _ = await runs.create_run(session, goal.id, view.version.id)
        assert run.id is not None
        run.status, run.claimed_by = RunStatus.RUNNING, "held-by-the-test"
        run.started_at = datetime.now(UTC)
        run.lease_until = run.started_at + timedelta(hours=1)
        session.add(run)
        return run.id, ["s1", "s2"]


async def step(database: Database, run_id: int, step_id: str, action: str, result: dict[str, object]) -> None:
    """One step started and finished, with its result."""
    key = f"deputy-run{run_id}-{step_id}"
    team = await team_of_run(database, run_id)
    async with database.session(team=team) as session:
        await runs.start_step(session, run_id, step_id, action, key, {"step": step_id})
    async with database.session(team=team) as session:
        await runs.finish_step(session, run_id, step_id, StepStatus.SUCCEEDED, result=result)


async def team_of_run(database: Database, run_id: int) -> str:
    """The run's team: a worker records its steps in a session of that team (the executor's)."""
    async with database.session(all_teams=True) as session:
        run = await runs.get_run(session, run_id)
        assert run is not None
        return run.team_key


async def finish(database: Database, run_id: int) -> None:
    async with database.session(team=await team_of_run(database, run_id)) as session:
        await runs.finish_run(session, run_id, RunStatus.SUCCEEDED)


async def waiting_plan(database: Database, requester: Actor, text: str) -> int:
    """A plan of one write step, proposed and waiting for one approval; its id."""
    draft = PlanDraft(summary=text, steps=[Step(id="s1", action="local.send_reminder", args={"invoice_id": 1})])
    verdict = StepVerdict(effect="write", verdict="require_approval", reason="needs 1 approval",
                          rule="writes-need-one-approval")
    async with database.session(team=requester.team_key) as session:
        await goals.upsert_actor(session, requester)
        goal = await goals.create_goal(session, requester, Where(platform=requester.platform,
                                                                 channel_id="C0PLANS"), text, None)
        assert goal is not None
        view = await goals.add_version(session, goal, draft, [verdict], approvals_required=1,
                                       requester_may_approve=True, reason="planned", author_key=None)
        assert view.plan.id is not None
        return view.plan.id
