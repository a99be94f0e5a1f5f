"""``deputy runs list`` and ``deputy runs show``: what happened, step by step; every team's
runs, or with ``--team`` one team's."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

import typer

from bot.runs_listing import print_runs, summary
from bot.settings import Settings
from bot.store import goals, runs, team_data
from bot.store.database import Database, Session
from bot.store.migrate import open_database
from bot.store.tables import GoalRow, RunRow


def _run_summary(run: RunRow, goal: GoalRow | None) -> dict[str, Any]:
    assert run.id is not None
    return summary(run.id, run.goal_id, run.status, goal.text if goal else None, run.created_at,
                   run.finished_at, run.error)


async def _session(db: Database, team: str | None) -> AbstractAsyncContextManager[Session]:
    """One team's session (``team`` checked to name a team: UserError if not), else every team's."""
    if team is None:
        return db.session(all_teams=True)
    return db.session(team=await team_data.require(db, team))


async def list_runs_report(settings: Settings, as_json: bool, team: str | None = None) -> None:
    """``deputy runs list`` through the ORM, when bot.runs_listing.plain_runs cannot answer."""
    db = await open_database(settings)
    try:
        async with await _session(db, team) as session:
            rows = await runs.list_runs(session)
            items = [_run_summary(r, await goals.get_goal(session, r.goal_id)) for r in rows]
    finally:
        await db.dispose()
    print_runs(items, as_json)


async def run_details(db: Database, run_id: int, team: str | None = None) -> dict[str, Any] | None:
    async with await _session(db, team) as session:
        run = await runs.get_run(session, run_id)
        if run is None:
            return None
        goal = await goals.get_goal(session, run.goal_id)
        view = await goals.view_by_version_id(session, run.plan_version_id)
        results = await runs.step_results(session, run_id)
        approvers = await goals.approvers_of(session, view.version) if view else []
    assert view is not None
    steps = []
    for step in view.steps:
        result = results.get(step.step_id)
        duration = None
        if result and result.started_at and result.finished_at:
            duration = round((result.finished_at - result.started_at).total_seconds(), 3)
        steps.append({
            "number": step.position, "id": step.step_id, "action": step.action,
            "verdict": step.verdict, "planned_args": step.args, "for_each": step.for_each,
            "status": result.status if result else "pending",
            "idempotency_key": result.idempotency_key if result else None,
            "attempts": result.attempts if result else 0,
            "args": result.args if result else None, "result": result.result if result else None,
            "error": (result.error or None) if result else None, "seconds": duration,
        })
    return {**_run_summary(run, goal), "plan_id": view.plan.id, "version": view.version.version,
            "fingerprint": view.version.fingerprint, "summary": view.version.summary,
            "approved_by": approvers, "requester": goal.requester_key if goal else None,
            "planning_usage": (goal.usage if goal else {}) or {}, "steps": steps}


async def show_run_report(settings: Settings, run_id: int, as_json: bool, team: str | None = None) -> bool:
    db = await open_database(settings)
    try:
        details = await run_details(db, run_id, team)
    finally:
        await db.dispose()
    if details is None:
        return False
    if as_json:
        typer.echo(json.dumps(details, indent=2, default=str))
        return True
    typer.echo(f"Run #{details['id']} — {details['status']}")
    typer.echo(f"Goal #{details['goal_id']}: {details['goal']}")
    typer.echo(f"Plan {details['plan_id']} v{details['version']}: {details['summary']}")
    typer.echo(f"Approved by: {', '.join(details['approved_by']) or '(no approval needed)'}")
    usage = details["planning_usage"]
    if usage:
        typer.echo("Planning tokens: " + ", ".join(f"{k} {v}" for k, v in sorted(usage.items())))
    if details["error"]:
        typer.echo(f"Error: {details['error']}")
    for step in details["steps"]:
        timing = f" in {step['seconds']}s" if step["seconds"] is not None else ""
        typer.echo(f"\n{step['number']}. {step['action']} — {step['status']}{timing} "
                   f"(tries {step['attempts']}, key {step['idempotency_key']})")
        typer.echo(f"   args:   {json.dumps(step['args'] if step['args'] is not None else step['planned_args'], default=str)}")
        if step["result"] is not None:
            # all of it: a chat answer's "… and 15 more (deputy runs show 42)" sends people here
            typer.echo(f"   result: {json.dumps(step['result'], default=str)}")
        if step["error"]:
            typer.echo(f"   error:  {step['error']}")
    return True
