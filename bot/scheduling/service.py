"""Managing monitors: create (as a proposal), approve, pause, resume, run now, edit the
schedule, delete, list. These change the ``monitors`` table only; the active scheduler
picks each change up on its next sync, so any process (web, CLI, worker) may call them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain import Actor, Effect, PlanDraft, Step, Where
from bot.errors import UserError
from bot.planning.validation import validate_plan
from bot.policy import PlanRequirement, Policy, evaluate_step, plan_requirement
from bot.scheduling.firing import FiringResult, enqueue_firing
from bot.scheduling.model import PostWhen, Schedule
from bot.scheduling.triggers import next_fire_times, trigger_for
from bot.store import audit, goals
from bot.store import monitors as store
from bot.store.database import Session
from bot.store.monitors import MonitorRow, MonitorStatus

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


@dataclass(frozen=True)
class MonitorListing:
    monitor: MonitorRow
    schedule: str
    next_run: datetime | None  # None when paused or not yet approved


def check_read_only(app: Deputy, draft: PlanDraft, owner: Actor | None = None) -> None:
    """A monitor runs unattended, so every action must only read; and be one its owner's
    team may use."""
    team = f"{owner.platform}:{owner.team_id}" if owner is not None else None
    errors = validate_plan(draft, app.registry.for_team(team) if owner is not None else app.registry)
    if errors:
        raise UserError("That monitor's plan is not valid: " + "; ".join(errors[:5]))
    writes = [s.action for s in draft.steps
              if (spec := app.registry.spec(s.action)) is None or spec.effect is not Effect.READ]
    if writes:
        raise UserError("A monitor may only read; these actions change things: " + ", ".join(writes)
                        + ". Ask for them as a normal goal so they go through approval.")


def requirement(policy: Policy, monitor: MonitorRow) -> PlanRequirement:
    """What the monitor's plan needs under ``policy`` (its owner's team's)."""
    draft = PlanDraft.model_validate(monitor.plan)
    return plan_requirement(evaluate_step(policy, step, Effect.READ) for step in draft.steps)


async def may_manage(app: Deputy, monitor: MonitorRow, actor: Actor,
                     session: Session | None = None) -> tuple[bool, str]:
    """The owner, or a member of the approver groups the policy names for its steps. A
    read-only plan usually names none, and then only the owner may approve or change it."""
    policy = await app.policy_of(monitor.owner_key, session)
    needed = requirement(policy, monitor)
    if needed.approvers:
        return needed.may_approve(policy, actor, monitor.owner_key)
    if actor.key == monitor.owner_key:
        return True, ""
    return False, "only its owner can"


def interval_anchor(schedule: Schedule, start: datetime) -> datetime | None:
    """Intervals count from activation, first firing one interval later."""
    return start + timedelta(seconds=schedule.seconds) if schedule.kind == "interval" else None


async def create_monitor(app: Deputy, owner: Actor, name: str, plan: PlanDraft, schedule: Schedule,
                         target: Where, *, condition: PostWhen = PostWhen.ALWAYS,
                         template: list[str] | None = None, follow_up: str = "") -> MonitorRow:
    check_read_only(app, plan, owner)
    trigger_for(schedule, owner.timezone)  # refuses an invalid schedule now, not at 9 on Monday
    if requirement(await app.policy_of(owner.key), MonitorRow(plan=plan.model_dump(by_alias=True), owner_key=owner.key, name=name,
                                   platform=target.platform, channel_id=target.channel_id)).denied:
        raise UserError("The policy denies a step of that monitor's plan.")
    row = MonitorRow(owner_key=owner.key, name=name[:200], platform=target.platform,
                     channel_id=target.channel_id, plan=plan.model_dump(by_alias=True),
                     schedule=schedule.to_json(), timezone=owner.timezone, condition=condition.value,
                     template=list(template or []), follow_up=follow_up)
    async with app.database.session(team=owner.team_key) as session:
        await goals.upsert_actor(session, owner)
        await store.add_monitor(session, row)
        await audit.append(session, "monitor_proposed", actor_key=owner.key, data={
            "monitor": row.id, "name": row.name, "schedule": row.schedule,
            "steps": [s.model_dump(by_alias=True) for s in plan.steps]})
    return row


async def _change(app: Deputy, monitor_id: int, actor: Actor, kind: str, allowed_from: set[str],
                  new_status: str | None, schedule: Schedule | None = None, *,
                  operator_in: str | None = None) -> MonitorRow:
    """``operator_in``: the operator's CLI acting on a monitor of that team (``deputy monitors
    … --team``): trusted as the operator is (``monitors add`` approves at once), and recorded
    in that team's audit chain."""
    async with app.database.session(team=operator_in or actor.team_key) as session:
        row = await store.get_monitor(session, monitor_id, for_update=True)
        if row is None or row.status == MonitorStatus.DELETED:
            raise UserError(f"There is no monitor {monitor_id}.")
        if row.status not in allowed_from:
            raise UserError(f"Monitor {monitor_id} is {row.status}; nothing was changed.")
        allowed, why = (True, "") if operator_in else await may_manage(app, row, actor, session)
        if not allowed:
            raise UserError(f"You can't {kind} monitor {monitor_id}: {why}.")
        values: dict[str, object] = {}
        if schedule is not None:
            trigger_for(schedule, row.timezone)
            values["schedule"] = schedule.to_json()
        if new_status is not None:
            values["status"] = new_status
        if new_status == MonitorStatus.ACTIVE or schedule is not None:
            values["activated_at"] = app.clock()
        if kind == "approve":
            values["approved_by"] = actor.key
        # written only while the monitor is as read: another process may have changed it since
        if not await store.change_if_unchanged(session, row, values):
            await session.refresh(row)
            raise UserError(f"Monitor {monitor_id} was changed by someone else a moment ago (it is "
                            f"now {row.status}); nothing was changed.")
        await audit.append(session, f"monitor_{kind}", actor_key=actor.key, team_key=operator_in or audit.DERIVE,
                           data={"monitor": monitor_id, "status": row.status, "schedule": row.schedule})
    return row


async def approve(app: Deputy, monitor_id: int, actor: Actor, *, operator_in: str | None = None) -> MonitorRow:
    return await _change(app, monitor_id, actor, "approve", {MonitorStatus.PROPOSED}, MonitorStatus.ACTIVE,
                         operator_in=operator_in)


async def reject(app: Deputy, monitor_id: int, actor: Actor) -> MonitorRow:
    return await _change(app, monitor_id, actor, "reject", {MonitorStatus.PROPOSED}, MonitorStatus.REJECTED)


async def pause(app: Deputy, monitor_id: int, actor: Actor, *, operator_in: str | None = None) -> MonitorRow:
    return await _change(app, monitor_id, actor, "pause", {MonitorStatus.ACTIVE}, MonitorStatus.PAUSED,
                         operator_in=operator_in)


async def resume(app: Deputy, monitor_id: int, actor: Actor, *, operator_in: str | None = None) -> MonitorRow:
    return await _change(app, monitor_id, actor, "resume", {MonitorStatus.PAUSED}, MonitorStatus.ACTIVE,
                         operator_in=operator_in)


async def delete(app: Deputy, monitor_id: int, actor: Actor, *, operator_in: str | None = None) -> MonitorRow:
    live = {MonitorStatus.PROPOSED, MonitorStatus.ACTIVE, MonitorStatus.PAUSED}
    return await _change(app, monitor_id, actor, "delete", live, MonitorStatus.DELETED, operator_in=operator_in)


async def edit_schedule(app: Deputy, monitor_id: int, actor: Actor, schedule: Schedule, *,
                        operator_in: str | None = None) -> MonitorRow:
    live = {MonitorStatus.PROPOSED, MonitorStatus.ACTIVE, MonitorStatus.PAUSED}
    return await _change(app, monitor_id, actor, "edit", live, None, schedule, operator_in=operator_in)


async def run_now(app: Deputy, monitor_id: int, actor: Actor, *, operator_in: str | None = None) -> FiringResult:
    """Queue one run at once (owner or approvers; the operator in ``operator_in``, see
    :func:`_change`), outside the schedule."""
    async with app.database.session(team=operator_in or actor.team_key) as session:
        row = await store.get_monitor(session, monitor_id)
    if row is None:
        raise UserError(f"There is no monitor {monitor_id}.")
    if row.status not in (MonitorStatus.ACTIVE, MonitorStatus.PAUSED):
        raise UserError(f"Monitor {monitor_id} is not approved; nothing was run.")
    allowed, why = (True, "") if operator_in else await may_manage(app, row, actor)
    if not allowed:
        raise UserError(f"You can't run monitor {monitor_id}: {why}.")
    return await enqueue_firing(app, monitor_id, app.clock(), manual=True)


def next_run(row: MonitorRow, now: datetime) -> datetime | None:
    if row.status != MonitorStatus.ACTIVE:
        return None
    schedule = Schedule.from_json(row.schedule)
    trigger = trigger_for(schedule, row.timezone,
                          anchor=interval_anchor(schedule, row.activated_at or now))
    times = next_fire_times(trigger, now, 1)
    return times[0] if times else None


async def list_for_channel(app: Deputy, team: str, platform: str, channel_id: str) -> list[MonitorListing]:
    """The live monitors of ``team`` posting to the channel: a Slack Connect channel has one
    id in every workspace sharing it, so the channel alone would list another team's."""
    async with app.database.session(team=team) as session:
        rows = await store.for_channel(session, platform, channel_id)
    now = app.clock()
    return [MonitorListing(r, Schedule.from_json(r.schedule).describe() + f" ({r.timezone})",
                           next_run(r, now)) for r in rows]


def steps_of(row: MonitorRow) -> list[Step]:
    return PlanDraft.model_validate(row.plan).steps
