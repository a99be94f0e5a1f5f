"""Goals, plans, plan versions, steps and approvals (thread messages: bot/store/thread.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import Actor, ApprovalDecision, GoalStatus, PlanDraft, PlanStatus, Step, Where
from bot.store.database import insert_once
from bot.store.tables import (
    ActorRow,
    ApprovalRow,
    GoalRow,
    PlanRow,
    PlanVersionRow,
    StepRow,
    utcnow,
)


@dataclass(frozen=True)
class StepVerdict:
    effect: str
    verdict: str
    reason: str
    rule: str


@dataclass
class PlanView:
    goal: GoalRow
    plan: PlanRow
    version: PlanVersionRow
    steps: list[StepRow]

    def draft(self) -> PlanDraft:
        return PlanDraft(
            summary=self.version.summary,
            steps=[Step(id=s.step_id, action=s.action, args=s.args, for_each=s.for_each, note=s.note)
                   for s in self.steps],
            memories_used=list(self.version.memories_used or []),
            runs_used=list(self.version.runs_used or []),
        )


async def upsert_actor(session: AsyncSession, actor: Actor) -> None:
    row = await session.get(ActorRow, actor.key)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(ActorRow(key=actor.key, platform=actor.platform, team_id=actor.team_id,
                                     user_id=actor.user_id, display_name=actor.display_name,
                                     timezone=actor.timezone))
                await session.flush()
            return
        except IntegrityError:  # the same person's other request recorded them a moment ago
            row = await session.get(ActorRow, actor.key)
            if row is None:
                raise
    if (row.display_name, row.timezone) != (actor.display_name, actor.timezone) and actor.display_name:
        row.display_name, row.timezone = actor.display_name, actor.timezone
        session.add(row)
    await session.flush()


async def get_actor(session: AsyncSession, key: str) -> Actor | None:
    row = await session.get(ActorRow, key)
    if row is None:
        return None
    return Actor(platform=row.platform, team_id=row.team_id, user_id=row.user_id,
                 display_name=row.display_name, timezone=row.timezone)


async def create_goal(session: AsyncSession, actor: Actor, where: Where, text: str,
                      event_id: str | None) -> GoalRow | None:
    """A new goal, or None when this platform event was already seen (a retry)."""
    if event_id is not None and await goal_for_event(session, where.platform, event_id) is not None:
        return None
    row = GoalRow(team_key=actor.team_key, requester_key=actor.key, platform=where.platform, team_id=actor.team_id,
                  channel_id=where.channel_id,
                  thread_id=where.thread_id, source_event_id=event_id, text=text,
                  requester_groups=sorted(actor.groups), status=GoalStatus.PLANNING)
    # None: a concurrent delivery of the same event won the race
    return row if await insert_once(session, row) else None


async def get_goal(session: AsyncSession, goal_id: int, *, lock: bool = False) -> GoalRow | None:
    """The goal; ``lock`` holds its row until the session ends (PostgreSQL)."""
    return await session.get(GoalRow, goal_id, with_for_update=lock or None)


async def set_thread(session: AsyncSession, goal_id: int, thread_id: str | None) -> None:
    """Where the goal's conversation continues, once its thread is opened."""
    row = await session.get(GoalRow, goal_id)
    assert row is not None
    row.thread_id = thread_id
    session.add(row)


async def goal_by_thread(session: AsyncSession, where: Where) -> GoalRow | None:
    if where.thread_id is None:
        return None
    return (await session.exec(select(GoalRow).where(
        GoalRow.platform == where.platform, GoalRow.channel_id == where.channel_id,
        GoalRow.thread_id == where.thread_id).order_by(col(GoalRow.id).desc()))).first()


async def set_goal_status(session: AsyncSession, goal: GoalRow, status: GoalStatus) -> None:
    goal.status = status
    goal.updated_at = utcnow()
    session.add(goal)
    await session.flush()


async def add_usage(session: AsyncSession, goal: GoalRow, usage: dict[str, int]) -> None:
    if not usage:
        return
    total = dict(goal.usage or {})
    for key, value in usage.items():
        total[key] = int(total.get(key, 0)) + int(value)
    total["calls"] = int(total.get("calls", 0)) + int(usage.get("calls", 1))
    goal.usage = total
    session.add(goal)
    await session.flush()


async def plan_for_goal(session: AsyncSession, goal_id: int) -> PlanRow | None:
    return (await session.exec(select(PlanRow).where(PlanRow.goal_id == goal_id))).first()


async def add_version(session: AsyncSession, goal: GoalRow, draft: PlanDraft,
                      verdicts: Sequence[StepVerdict], *, approvals_required: int,
                      requester_may_approve: bool, reason: str, author_key: str | None,
                      requester_consent: bool = False) -> PlanView:
    """Store ``draft`` as the goal's newest plan version; earlier proposed versions are
    superseded, which voids their approvals."""
    assert goal.id is not None
    plan = await plan_for_goal(session, goal.id)
    if plan is None:
        plan = PlanRow(team_key=goal.team_key, goal_id=goal.id, current_version=0)
        session.add(plan)
        await session.flush()
    assert plan.id is not None
    previous = await session.exec(select(PlanVersionRow).where(
        PlanVersionRow.plan_id == plan.id, PlanVersionRow.status == PlanStatus.PROPOSED))
    for old in previous:
        old.status = PlanStatus.SUPERSEDED
        session.add(old)
    plan.current_version += 1
    session.add(plan)
    version = PlanVersionRow(team_key=goal.team_key, plan_id=plan.id, version=plan.current_version, summary=draft.summary,
                             fingerprint=draft.fingerprint(), status=PlanStatus.PROPOSED,
                             reason=reason, author_key=author_key,
                             approvals_required=approvals_required,
                             requester_may_approve=requester_may_approve,
                             requester_consent=requester_consent, planned_by=draft.planned_by,
                             memories_used=list(draft.memories_used), runs_used=list(draft.runs_used))
    session.add(version)
    await session.flush()
    assert version.id is not None
    steps = []
    for position, (step, verdict) in enumerate(zip(draft.steps, verdicts, strict=True), start=1):
        row = StepRow(team_key=goal.team_key, plan_version_id=version.id, position=position, step_id=step.id,
                      action=step.action, args=step.args, for_each=step.for_each, note=step.note,
                      effect=verdict.effect, verdict=verdict.verdict,
                      verdict_reason=verdict.reason, rule=verdict.rule)
        session.add(row)
        steps.append(row)
    await session.flush()
    return PlanView(goal=goal, plan=plan, version=version, steps=steps)


async def save_verdicts(session: AsyncSession, view: PlanView) -> None:
    """Store the verdicts and requirement of a view whose rows were changed after proposal
    (the policy read again on the preview's values; see bot/flow/seen.py)."""
    for row in view.steps:
        await session.merge(row)
    await session.merge(view.version)
    await session.flush()


async def load_view(session: AsyncSession, plan_id: int, version: int | None = None,
                    *, for_update: bool = False) -> PlanView | None:
    plan = await session.get(PlanRow, plan_id)
    if plan is None:
        return None
    wanted = plan.current_version if version is None else version
    query = select(PlanVersionRow).where(PlanVersionRow.plan_id == plan_id,
                                         PlanVersionRow.version == wanted)
    if for_update:
        query = query.with_for_update()
    row = (await session.exec(query)).first()
    if row is None:
        return None
    goal = await session.get(GoalRow, plan.goal_id)
    assert goal is not None
    steps = list(await session.exec(select(StepRow).where(StepRow.plan_version_id == row.id)
                                    .order_by(col(StepRow.position))))
    return PlanView(goal=goal, plan=plan, version=row, steps=steps)


async def view_by_version_id(session: AsyncSession, version_id: int) -> PlanView | None:
    row = await session.get(PlanVersionRow, version_id)
    if row is None:
        return None
    return await load_view(session, row.plan_id, row.version)


async def set_version_status(session: AsyncSession, version: PlanVersionRow, status: PlanStatus) -> None:
    version.status = status
    session.add(version)
    await session.flush()


async def approve_to_run_alone(session: AsyncSession, version_id: int) -> None:
    """Mark a version that needs nobody's approval as approved, before its card is posted: a
    redo after a crash then knows to start its run (bot/flow/goal_redo.py)."""
    version = await session.get(PlanVersionRow, version_id, with_for_update=True)
    if version is not None and version.status == PlanStatus.PROPOSED:
        await set_version_status(session, version, PlanStatus.APPROVED)


async def record_decision(session: AsyncSession, version: PlanVersionRow, actor: Actor,
                          decision: ApprovalDecision) -> bool:
    """Record one person's decision on one version; False when they already decided."""
    assert version.id is not None
    existing = (await session.exec(select(ApprovalRow).where(
        ApprovalRow.plan_version_id == version.id, ApprovalRow.approver_key == actor.key))).first()
    if existing is not None:
        return False
    return await insert_once(session, ApprovalRow(
        team_key=version.team_key, plan_version_id=version.id, approver_key=actor.key, decision=decision,
        fingerprint=version.fingerprint, groups=sorted(actor.groups)))


async def approvers_of(session: AsyncSession, version: PlanVersionRow) -> list[str]:
    """Keys of the people who approved exactly this version's content."""
    rows = await session.exec(select(ApprovalRow).where(
        ApprovalRow.plan_version_id == version.id,
        ApprovalRow.decision == ApprovalDecision.APPROVE,
        ApprovalRow.fingerprint == version.fingerprint).order_by(col(ApprovalRow.id)))
    return [r.approver_key for r in rows]


async def approving_actors(session: AsyncSession, version: PlanVersionRow) -> list[Actor]:
    """The people who approved exactly this version's content, with the groups they had."""
    rows = await session.exec(select(ApprovalRow).where(
        ApprovalRow.plan_version_id == version.id,
        ApprovalRow.decision == ApprovalDecision.APPROVE,
        ApprovalRow.fingerprint == version.fingerprint).order_by(col(ApprovalRow.id)))
    actors = []
    for row in rows:
        actor = await get_actor(session, row.approver_key)
        if actor is not None:
            actors.append(actor.model_copy(update={"groups": frozenset(row.groups)}))
    return actors


async def goal_for_event(session: AsyncSession, platform: str, event_id: str) -> GoalRow | None:
    """The goal a platform event (or an undo of a run, bot/flow/undo.py) created, if any."""
    return (await session.exec(select(GoalRow).where(
        GoalRow.platform == platform, GoalRow.source_event_id == event_id))).first()


async def open_goals_of(session: AsyncSession, actor_key: str, limit: int = 20) -> list[GoalRow]:
    open_states = [GoalStatus.PLANNING, GoalStatus.WAITING, GoalStatus.RUNNING]
    rows = await session.exec(select(GoalRow).where(
        GoalRow.requester_key == actor_key, col(GoalRow.status).in_(open_states))
        .order_by(col(GoalRow.id).desc()).limit(limit))
    return list(rows)


async def count_versions(session: AsyncSession, plan_id: int, *, reason_prefix: str) -> int:
    """How many versions of a plan were made for a reason ("re-planned …")."""
    rows = await session.exec(select(PlanVersionRow.reason).where(PlanVersionRow.plan_id == plan_id))
    return sum(1 for reason in rows.all() if reason.startswith(reason_prefix))


async def version_drafts(session: AsyncSession, goal_id: int) -> list[tuple[str, PlanDraft]]:
    """(reason, draft) of every version of a goal's plan, oldest first."""
    plan = await plan_for_goal(session, goal_id)
    if plan is None or plan.id is None:
        return []
    found = []
    for number in range(1, plan.current_version + 1):
        view = await load_view(session, plan.id, number)
        if view is not None:
            found.append((view.version.reason, view.draft()))
    return found
