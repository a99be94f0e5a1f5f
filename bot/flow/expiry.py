"""Nothing waits forever: plans waiting for approval expire, and queued runs time out.

``expire_and_escalate`` is a periodic sweep (the worker loop calls it every few polls; a
scheduler may too). For each plan version still waiting for approval:

- once a rule's ``escalate_after`` has passed, the thread is told once that the plan is
  still waiting, naming the rule's ``escalate_to`` groups (a reminder to the approvers,
  escalated to those groups);
- once ``DEPUTY_APPROVAL_EXPIRY_HOURS`` (default 24) have passed, the version is rejected
  (it can never run: approvals are only taken on proposed versions) and its card says so.

A run still queued after ``DEPUTY_QUEUED_RUN_TIMEOUT_MINUTES`` (default 60) fails without
running anything. Several processes may sweep at once: each change re-reads its row under
a lock and is written only while what was read still holds (bot/store/transitions.py), and
each reminder is recorded once (bot/store/reminders.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.chat.replies import Notice
from bot.domain import GoalStatus, PlanStatus
from bot.flow.addressing import where_of
from bot.flow.card_refresh import refresh_card
from bot.flow.cards import hours_text
from bot.policy import Policy
from bot.store import audit, goals, reminders, transitions
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


async def expire_and_escalate(app: Deputy, now: datetime) -> int:
    """One sweep; returns how many things it changed or said."""
    async with app.database.session(all_teams=True) as session:
        waiting = [(v.plan_id, v.version, v.team_key) for v in await reminders.waiting_versions(session)]
    count = 0
    for plan_id, version, team in waiting:
        count += await _sweep_version(app, team, plan_id, version, now)
    count += await _time_out_queued_runs(app, now)
    return count


async def _sweep_version(app: Deputy, team: str, plan_id: int, version: int, now: datetime) -> int:
    expiry = app.settings.approval_expiry
    said: list[Notice] = []
    expired = False
    async with app.database.session(team=team) as session:
        view = await goals.load_view(session, plan_id, version, for_update=True)
        if view is None or view.version.id is None or view.version.status != PlanStatus.PROPOSED:
            return 0  # decided meanwhile
        age = now - view.version.created_at
        if age >= expiry:
            # only while still proposed: on SQLite an approval in another process may have
            # completed since the read above (no row lock there)
            if not await transitions.move_version(session, view.version, PlanStatus.REJECTED):
                return 0
            await goals.set_goal_status(session, view.goal, GoalStatus.REJECTED)
            await audit.append(session, "expired", goal_id=view.goal.id, data={
                "plan": plan_id, "version": version, "after_hours": expiry.total_seconds() / 3600})
            expired = True
        else:
            for notice, kind in _escalations(app, await app.policy_of(view.goal.requester_key, session), view, age):
                if await reminders.mark_once(session, view.version.id, kind):
                    await audit.append(session, "escalated", goal_id=view.goal.id,
                                       data={"plan": plan_id, "version": version, "kind": kind})
                    said.append(notice)
    if expired:
        await refresh_card(app, plan_id, version, team=team, note=(
            f"Expired: not approved within {hours_text(expiry)}, so it was rejected and nothing "
            "was run. Ask again to get a fresh plan."))
        return 1
    port = app.port(view.goal.platform)
    for notice in said:
        await port.post(where_of(view.goal), notice)
    return len(said)


def _escalations(app: Deputy, policy: Policy, view: PlanView, age: timedelta) -> list[tuple[Notice, str]]:
    rules = {r.name: r for r in policy.rules}
    found: list[tuple[Notice, str]] = []
    for name in dict.fromkeys(s.rule for s in view.steps if s.verdict == "require_approval"):
        rule = rules.get(name)
        delay = rule.escalation_delay if rule else None
        if rule is None or delay is None or age < delay:
            continue
        to = " ".join(f"@{g}" for g in rule.escalate_to)
        approvers = ", ".join(f"@{g}" for g in rule.approvers) or "anyone allowed to approve"
        text = (f"Reminder: plan {view.plan.id} v{view.version.version} (\u201c{view.version.summary}\u201d) "
                f"has waited {hours_text(delay)} for approval by {approvers} (rule `{name}`)"
                + (f"; escalated to {to}." if to else ".")
                + f" It expires {hours_text(app.settings.approval_expiry)} after it was proposed.")
        found.append((Notice(text, tone="warning"), f"escalated:{name}"[:40]))
    return found


async def _time_out_queued_runs(app: Deputy, now: datetime) -> int:
    timeout = app.settings.queued_run_timeout
    stuck: list[tuple[int, int, str]] = []
    async with app.database.session(all_teams=True) as session:
        for run in await reminders.queued_before(session, now - timeout):
            assert run.id is not None
            reason = f"no worker started this run within {hours_text(timeout)}; nothing was run"
            if not await transitions.fail_queued_run(session, run, reason):
                continue  # a worker claimed it since the read: it is running
            goal = await goals.get_goal(session, run.goal_id)
            if goal is not None:
                await goals.set_goal_status(session, goal, GoalStatus.FAILED)
            await audit.append(session, "run_failed", goal_id=run.goal_id,
                               data={"run": run.id, "error": reason})
            view = await goals.view_by_version_id(session, run.plan_version_id)
            if view is not None and view.plan.id is not None:
                stuck.append((view.plan.id, view.version.version, view.goal.team_key))
    for plan_id, version, team in stuck:
        log.warning("plan %s v%s: queued run timed out", plan_id, version)
        await refresh_card(app, plan_id, version, team=team, note=(
            f"Failed: no worker started it within {hours_text(timeout)}; nothing was run."))
    return len(stuck)
