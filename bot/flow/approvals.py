"""Buttons on a plan card (approve, reject, modify) and plan edits.

Every decision is bound to one plan version: a click on an older card changes nothing and
says so; a double click records one decision; quorum starts exactly one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.chat.events import ButtonPressed, ModifySubmitted
from bot.chat.replies import Notice
from bot.domain import Actor, ApprovalDecision, GoalStatus, PlanStatus
from bot.errors import UserError
from bot.flow import seen
from bot.flow.addressing import team_of_plan
from bot.flow.card_refresh import refresh_card, start_run
from bot.flow.connections import missing_connections
from bot.flow.edits import apply_edits
from bot.flow.membership import outsider_reason
from bot.flow.memory_offers import after_modify
from bot.flow.proposals import propose
from bot.planning.validation import validate_plan
from bot.policy import PlanRequirement, Policy
from bot.policy.request_facts import facts_of, team_of_key
from bot.store import audit, goals, previews, transitions
from bot.store.database import Session
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def requirement_of(app: Deputy, policy: Policy, view: PlanView,
                   preview: Mapping[str, Any] | None = None) -> PlanRequirement:
    """Re-evaluated with the team's policy in force now (``policy``, from ``app.policy_of``),
    so a tightened policy applies at once; with the version's preview outputs, also on the
    values looked up before approval (seen.py)."""
    return seen.requirement(app, policy, view, preview, facts_of(view.goal, app.clock()))


async def private(app: Deputy, event: ButtonPressed | ModifySubmitted, text: str, tone: str = "warning") -> None:
    await app.port(event.where.platform).post_private(event.where, event.actor, Notice(text, tone=tone))


def _stale_reason(view: PlanView | None, plan_id: int, version: int) -> str | None:
    if view is None:
        return f"I can't find plan {plan_id} version {version}; nothing was changed."
    current = view.plan.current_version
    if version != current:
        return (f"This card shows version {version} of plan {plan_id}, but the plan is now at "
                f"version {current}. Nothing was changed; use the newest card.")
    if view.version.status != PlanStatus.PROPOSED:
        return f"Plan {plan_id} version {version} is already {view.version.status}; nothing was changed."
    return None


async def decide(app: Deputy, event: ButtonPressed, plan_id: int, version: int,
                 decision: ApprovalDecision) -> None:
    actor = event.actor
    refusal: str | None = None
    started = False
    try:
        async with app.database.session(team=await team_of_plan(app, plan_id, actor)) as session:
            # the row lock serialises concurrent clicks on one version (PostgreSQL); on SQLite
            # the version's change repeats what was read (_Lost: it was decided meanwhile)
            view = await goals.load_view(session, plan_id, version, for_update=True)
            outsider = outsider_reason(view.goal, actor, event.where) if view is not None else None
            refusal = outsider or _stale_reason(view, plan_id, version)
            if outsider is not None and view is not None:
                await audit.append(session, "refusal", actor_key=actor.key, goal_id=view.goal.id,
                                   data={"plan": plan_id, "version": version, "reason": "outside the goal's team",
                                         "team": actor.team_id, "channel": event.where.channel_id})
            if refusal is None:
                assert view is not None
                refusal, started = await _record(app, session, view, actor, decision)
    except _Lost as lost:  # its decision and audit record were rolled back with it
        refusal, started = str(lost), False
    if refusal is not None:
        await private(app, event, refusal)
        return
    metrics.APPROVALS.labels(decision=decision.value).inc()
    if started:
        await start_run(app, plan_id, version, team=actor.team_key, actor_key=actor.key)
    else:
        await refresh_card(app, plan_id, version, team=actor.team_key)


async def _record(app: Deputy, session: Session, view: PlanView, actor: Actor,
                  decision: ApprovalDecision) -> tuple[str | None, bool]:
    """Record one person's decision on a current version, in the caller's transaction:
    (why it was refused, or None; whether it completed the quorum and a run should start)."""
    refusal: str | None = None
    started = False
    plan_id, version = view.plan.id, view.version.version
    await goals.upsert_actor(session, actor)
    stored = await previews.get(session, view.version.id or 0)
    policy = await app.policy_of(view.goal.requester_key, session)
    requirement = requirement_of(app, policy, view, stored.outputs if stored else None)
    allowed, why = requirement.may_approve(policy, actor, view.goal.requester_key)
    if decision is ApprovalDecision.REJECT and actor.key == view.goal.requester_key:
        allowed = True  # the requester may always withdraw their own goal
    if view.version.requester_consent and actor.key == view.goal.requester_key:
        allowed = True  # their consent to someone else's change, counted apart
    missing = (await missing_connections(app, view.goal.requester_key,
                                         {s.action.split(".", 1)[0] for s in view.steps})
               if decision is ApprovalDecision.APPROVE else [])
    if requirement.denied and decision is ApprovalDecision.APPROVE:
        refusal = "This plan has a step the policy denies, so it cannot be approved. Modify or reject it."
    elif missing:
        refusal = (f"This plan needs {', '.join(missing)}, which the requester has not "
                   f"connected yet (`connect {missing[0]}`). Nothing was approved.")
    elif not allowed:
        refusal = f"You can't {decision.value} this plan, because {why}."
        await audit.append(session, "refusal", actor_key=actor.key, goal_id=view.goal.id,
                           data={"plan": plan_id, "version": version, "reason": why})
    elif not await goals.record_decision(session, view.version, actor, decision):
        refusal = f"You already decided on version {version}; nothing more to do."
    else:
        await audit.append(session, decision.value, actor_key=actor.key, goal_id=view.goal.id,
                           data={"plan": plan_id, "version": version,
                                 "fingerprint": view.version.fingerprint})
        if decision is ApprovalDecision.REJECT:
            await _move(session, view, PlanStatus.REJECTED)
            await goals.set_goal_status(session, view.goal, GoalStatus.REJECTED)
        else:
            approvers = await goals.approving_actors(session, view.version)
            consented = not view.version.requester_consent or any(
                a.key == view.goal.requester_key for a in approvers)
            if consented and requirement.quorum_problem(
                    policy, approvers, view.goal.requester_key) is None:
                await _move(session, view, PlanStatus.APPROVED)  # start_run finds it approved
                started = True
    return refusal, started


class _Lost(Exception):
    """The version was decided by another process after this click read it as proposed."""


async def _move(session: Session, view: PlanView, to: PlanStatus) -> None:
    if not await transitions.move_version(session, view.version, to):
        raise _Lost(await transitions.decided_already(session, view.version))


async def on_modify(app: Deputy, event: ModifySubmitted) -> None:
    async with app.database.session(team=await team_of_plan(app, event.plan_id, event.actor)) as session:
        view = await goals.load_view(session, event.plan_id, event.version)
    refusal = (outsider_reason(view.goal, event.actor, event.where) if view is not None else None) \
        or _stale_reason(view, event.plan_id, event.version)
    if refusal is not None:
        await private(app, event, refusal)
        return
    assert view is not None and view.goal.id is not None
    if not await _may_modify(app, view, event.actor):
        await private(app, event, "Only the person who asked, or someone who may approve it, can change this plan.")
        return
    try:
        draft = apply_edits(view.draft(), event.edits, app.registry)
    except UserError as err:
        await private(app, event, str(err))
        return
    problems = validate_plan(draft, app.registry.for_team(team_of_key(view.goal.requester_key)))
    if problems:
        await private(app, event, "That change is not valid, so nothing was changed:\n"
                       + "\n".join(f"• {p}" for p in problems[:5]))
        return
    async with app.database.session(team=event.actor.team_key) as session:
        await goals.upsert_actor(session, event.actor)  # the card names who changed it
    changes = ", ".join(f"step {e.step} {e.key}" for e in event.edits)
    await propose(app, view.goal.id, draft, team=event.actor.team_key, reason=f"modified by {event.actor.label}",
                  author_key=event.actor.key,
                  note=f"Changed from version {event.version} by {event.actor.label}: {changes} "
                       "(earlier approvals no longer count).")
    await after_modify(app, event, view)  # the same change on two goals: [Remember] [No]?


async def _may_modify(app: Deputy, view: PlanView, actor: Actor) -> bool:
    if actor.key == view.goal.requester_key:
        return True
    policy = await app.policy_of(view.goal.requester_key)
    allowed, _ = requirement_of(app, policy, view).may_approve(policy, actor, view.goal.requester_key)
    return allowed
