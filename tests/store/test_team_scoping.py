"""Two teams on one database: each team's session sees, changes and counts only its rows,
and the checker (tests/support/team_checker.py) refuses a query that forgets the team."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from bot.chat.port import MessageRef
from bot.domain import Actor, ApprovalDecision, PlanDraft, Step, StepStatus, Where
from bot.store import goals, messages, previews, reminders, runs, thread
from bot.store.database import Database
from bot.store.goals import StepVerdict
from bot.store.tables import GoalRow, PlanVersionRow, RunRow, StepResultRow
from bot.store.team_scope import OtherTeamsRow, UndeclaredTeam
from tests.support.team_checker import TeamChecker

ANN = Actor(platform="slack", team_id="T1", user_id="U1", display_name="Ann")
BOB = Actor(platform="discord", team_id="G2", user_id="U2", display_name="Bob")
DRAFT = PlanDraft(summary="list invoices", steps=[Step(id="s1", action="local.list_invoices")])
VERDICT = StepVerdict(effect="read", verdict="allow", reason="reads are allowed", rule="")


async def _goal_with_everything(db: Database, actor: Actor) -> dict[str, Any]:
    """A goal of ``actor``'s team with a plan, an approval, a run, a step result, a card, a
    thread message, a preview and a reminder, made as the flow makes them."""
    async with db.session(team=actor.team_key) as s:
        await goals.upsert_actor(s, actor)
        goal = await goals.create_goal(s, actor, Where(platform=actor.platform, channel_id="C1", thread_id="t1"),
                                       "list invoices", f"ev-{actor.team_key}")
        assert goal is not None and goal.id is not None
        view = await goals.add_version(s, goal, DRAFT, [VERDICT], approvals_required=1,
                                       requester_may_approve=True, reason="planned", author_key=None)
        assert view.version.id is not None and view.plan.id is not None
        assert await goals.record_decision(s, view.version, actor, ApprovalDecision.APPROVE)
        run, _ = await runs.create_run(s, goal.id, view.version.id)
        assert run.id is not None
        await runs.start_step(s, run.id, "s1", "local.list_invoices", f"deputy-run{run.id}-s1", {})
        await messages.remember(s, goal.id, view.version.id, "plan_card",
                                MessageRef(platform=actor.platform, channel_id="C1", message_id="m1"))
        await thread.add_thread_message(s, goal.id, actor.label, "and the overdue ones", author_key=actor.key,
                                        event_id=f"r-{actor.team_key}")
        await previews.save(s, view.version.id, {"s1": {}}, "hash", "")
        assert await reminders.mark_once(s, view.version.id, "approval")
        return {"goal": goal.id, "plan": view.plan.id, "version": view.version.id, "run": run.id}


async def test_each_team_sees_only_its_own_rows(database: Database, team_checked: TeamChecker) -> None:
    ann = await _goal_with_everything(database, ANN)
    bob = await _goal_with_everything(database, BOB)
    async with database.session(team=ANN.team_key) as s:
        # Ann's team finds its own things by id ...
        assert (await goals.get_goal(s, ann["goal"])) is not None
        assert (await goals.load_view(s, ann["plan"])) is not None
        assert (await runs.get_run(s, ann["run"])) is not None
        # ... and nothing of Bob's, by id or in a listing
        assert await goals.get_goal(s, bob["goal"]) is None
        assert await goals.load_view(s, bob["plan"]) is None
        assert await goals.view_by_version_id(s, bob["version"]) is None
        assert await goals.plan_for_goal(s, bob["goal"]) is None
        assert await runs.get_run(s, bob["run"]) is None
        assert await runs.run_for_version(s, bob["version"]) is None
        assert await runs.runs_of_goal(s, bob["goal"]) == []
        assert await runs.step_results(s, bob["run"]) == {}
        assert await messages.card_of(s, bob["version"]) is None
        assert await thread.thread_history(s, bob["goal"]) == []
        assert await previews.get(s, bob["version"]) is None
        assert await goals.goal_for_event(s, "discord", f"ev-{BOB.team_key}") is None
        assert [r.id for r in await runs.list_runs(s)] == [ann["run"]]
        assert await runs.count_by_status(s) == {"queued": 1}
        assert (await s.exec(select(func.count()).select_from(GoalRow))).one() == 1
        # an update aimed at Bob's run changes nothing
        changed = await s.exec(update(RunRow).where(col(RunRow.id) == bob["run"]).values(status="cancelled"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        # a decision on Bob's version cannot even find it
        assert await goals.view_by_version_id(s, bob["version"]) is None
    async with database.session(team=BOB.team_key) as s:
        run = await runs.get_run(s, bob["run"])
        assert run is not None and run.status == "queued"
        versions = (await s.exec(select(PlanVersionRow))).all()
        assert [v.id for v in versions] == [bob["version"]]
    assert team_checked.checked > 20


async def test_a_row_of_another_team_is_not_written_by_a_teams_session(database: Database) -> None:
    ann = await _goal_with_everything(database, ANN)
    with pytest.raises(OtherTeamsRow):
        async with database.session(team=BOB.team_key) as s:
            s.add(RunRow(team_key=ANN.team_key, goal_id=ann["goal"], plan_version_id=ann["version"], status="queued"))
            await s.flush()


async def test_a_steps_plain_statements_touch_only_their_teams_rows(database: Database,
                                                                    team_checked: TeamChecker) -> None:
    # the executor's per-step statements skip the ORM (bot/store/runs.py): each names its team
    ann = await _goal_with_everything(database, ANN)
    bob = await _goal_with_everything(database, BOB)
    async with database.session(all_teams=True) as s:
        await s.exec(update(RunRow).values(status="running", claimed_by="w1"))
    async with database.session(team=ANN.team_key) as s:
        assert not await runs.renew_lease(s, bob["run"], "w1", 60)  # Bob's run: not Ann's to renew
        assert await runs.renew_lease(s, ann["run"], "w1", 60)
        with pytest.raises(LookupError):
            await runs.finish_step(s, bob["run"], "s1", StepStatus.SUCCEEDED, result={"x": 1}, started=True)
    async with database.session(team=ANN.team_key) as s:
        await runs.start_step(s, ann["run"], "s2", "local.list_invoices", f"deputy-run{ann['run']}-s2", {},
                              fresh=True)
        await runs.finish_step(s, ann["run"], "s2", StepStatus.SUCCEEDED, result={"n": 2}, started=True)
    async with database.session(all_teams=True) as s:
        leases = {r.id: r.lease_until for r in (await s.exec(select(RunRow))).all()}
        steps = {(r.run_id, r.step_id): r for r in (await s.exec(select(StepResultRow))).all()}
    assert leases[ann["run"]] is not None and leases[bob["run"]] is None
    assert steps[(bob["run"], "s1")].status == "started" and steps[(bob["run"], "s1")].result is None
    assert steps[(ann["run"], "s2")].team_key == ANN.team_key
    assert (steps[(ann["run"], "s2")].status, steps[(ann["run"], "s2")].result) == ("succeeded", {"n": 2})


async def test_work_across_teams_must_say_so_and_name_each_new_rows_team(database: Database) -> None:
    await _goal_with_everything(database, ANN)
    await _goal_with_everything(database, BOB)
    async with database.session(all_teams=True) as s:
        assert len((await s.exec(select(GoalRow))).all()) == 2
    with pytest.raises(OtherTeamsRow):
        async with database.session(all_teams=True) as s:
            s.add(GoalRow(requester_key=ANN.key, platform="slack", channel_id="C", text="x", status="planning"))
            await s.flush()


async def test_the_checker_refuses_a_query_that_forgets_the_team(database: Database) -> None:
    ann = await _goal_with_everything(database, ANN)
    checker = TeamChecker()
    checker.install()
    try:
        # declares no team: the filter is missing (and it is warned of, where it was opened)
        with pytest.warns(UndeclaredTeam, match="declared no team") as warned:
            async with database.session() as s:
                await goals.get_goal(s, ann["goal"])
                await runs.list_runs(s)
    finally:
        checker.remove()
    assert [w.filename for w in warned] == [__file__]
    assert len(checker.violations) == 2
    assert "goals" in checker.violations[0] and "runs" in checker.violations[1]
