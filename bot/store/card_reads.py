"""Everything plan cards show besides the plan, read for many cards at once.

A card shows who approved, the run and its step results, the preview note, a pending
suggestion, the memories used and whether the run was undone. Reading those one card at a
time costs a dozen round trips per card; a page of the web console shows ten cards, so each
kind is read here in one query for all of them (``IN`` over the versions, runs, goals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import Actor, ApprovalDecision, RunStatus
from bot.store import episodes
from bot.store.episodes import EpisodeRow
from bot.store.goals import PlanView
from bot.store.memories import MemoryRow
from bot.store.previews import PreviewRow
from bot.store.tables import (
    ActorRow,
    ApprovalRow,
    GoalRow,
    PlanRow,
    PlanVersionRow,
    RunRow,
    StepResultRow,
    StepRow,
    ThreadMessageRow,
)
from bot.store.thread import SUGGESTED


@dataclass(frozen=True)
class CardRows:
    """The rows a set of cards needs, keyed for lookup by card."""

    approvers: dict[int, list[str]] = field(default_factory=dict)  # version id → who approved its content
    actors: dict[str, Actor] = field(default_factory=dict)  # actor key → the person
    runs: dict[int, RunRow] = field(default_factory=dict)  # version id → its run
    results: dict[int, dict[str, StepResultRow]] = field(default_factory=dict)  # run id → step id → result
    previews: dict[int, PreviewRow] = field(default_factory=dict)  # version id → its preview
    suggestions: dict[int, ThreadMessageRow] = field(default_factory=dict)  # goal id → newest pending one
    memories: dict[int, MemoryRow] = field(default_factory=dict)
    past_runs: dict[int, EpisodeRow] = field(default_factory=dict)  # run id → the episode of a reused run
    events: set[tuple[str, str]] = field(default_factory=set)  # (platform, source event) of goals that exist

    def label(self, key: str) -> str:
        """The person's name as cards show it; the key when nobody by that key is known."""
        who = self.actors.get(key)
        return who.label if who else key


async def actors_of(session: AsyncSession, keys: Iterable[str]) -> dict[str, Actor]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await session.exec(select(ActorRow).where(col(ActorRow.key).in_(wanted)))
    return {r.key: Actor(platform=r.platform, team_id=r.team_id, user_id=r.user_id,
                         display_name=r.display_name, timezone=r.timezone) for r in rows}


async def card_rows(session: AsyncSession, views: Sequence[PlanView],
                    undo_event: Callable[[int], str]) -> CardRows:
    """The rows the cards of ``views`` show. ``undo_event``: the source event id of the goal
    that undoes a run (by run id), looked for where the run succeeded."""
    versions = {v.version.id: v for v in views if v.version.id is not None}
    rows = CardRows()
    if not versions:
        return rows
    ids = sorted(versions)
    for approval in await session.exec(select(ApprovalRow).where(
            col(ApprovalRow.plan_version_id).in_(ids), col(ApprovalRow.decision) == ApprovalDecision.APPROVE)
            .order_by(col(ApprovalRow.id))):
        if approval.fingerprint == versions[approval.plan_version_id].version.fingerprint:
            rows.approvers.setdefault(approval.plan_version_id, []).append(approval.approver_key)
    for run in await session.exec(select(RunRow).where(col(RunRow.plan_version_id).in_(ids))
                                  .order_by(col(RunRow.id))):
        rows.runs.setdefault(run.plan_version_id, run)
    run_ids = sorted(r.id for r in rows.runs.values() if r.id is not None)
    if run_ids:
        for result in await session.exec(select(StepResultRow).where(col(StepResultRow.run_id).in_(run_ids))):
            rows.results.setdefault(result.run_id, {})[result.step_id] = result
    rows.previews.update(await previews_of(session, ids))
    goal_ids = sorted({v.goal.id for v in views if v.goal.id is not None})
    for message in await session.exec(select(ThreadMessageRow).where(
            col(ThreadMessageRow.goal_id).in_(goal_ids), col(ThreadMessageRow.status) == SUGGESTED)
            .order_by(col(ThreadMessageRow.id).desc())):
        rows.suggestions.setdefault(message.goal_id, message)
    memories, past_runs = await used_rows(session, views)
    rows.memories.update(memories)
    rows.past_runs.update(past_runs)
    events = {(versions[r.plan_version_id].goal.platform, undo_event(r.id))
              for r in rows.runs.values() if r.id is not None and r.status == RunStatus.SUCCEEDED}
    if events:
        found = await session.exec(select(GoalRow.platform, GoalRow.source_event_id).where(
            col(GoalRow.source_event_id).in_(sorted(e for _, e in events))))
        rows.events.update((p, e) for p, e in found.all() if e is not None and (p, e) in events)
    keys = [k for v in views for k in (v.goal.requester_key, v.version.author_key) if k]
    rows.actors.update(await actors_of(session, keys + [k for ks in rows.approvers.values() for k in ks]))
    return rows


async def used_rows(session: AsyncSession, views: Sequence[PlanView]
                    ) -> tuple[dict[int, MemoryRow], dict[int, EpisodeRow]]:
    """What the cards' "Using:" lines name (bot/flow/memory_use.py): the memories that shaped
    each version (by id) and the episodes of the past runs it reuses (by run id). The one read
    of them, for a card's first posting and for its redraws alike."""
    memories: dict[int, MemoryRow] = {}
    past_runs: dict[int, EpisodeRow] = {}
    memory_ids = sorted({m for v in views for m in (v.version.memories_used or [])})
    if memory_ids:
        for memory in await session.exec(select(MemoryRow).where(col(MemoryRow.id).in_(memory_ids))):
            assert memory.id is not None
            memories[memory.id] = memory
    for team in sorted({v.goal.team_key for v in views if v.version.runs_used}):
        reused = [r for v in views if v.goal.team_key == team for r in (v.version.runs_used or [])]
        past_runs.update((e.run_id, e) for e in await episodes.of_runs(session, team, reused))
    return memories, past_runs


async def load_views(session: AsyncSession, plan_ids: Sequence[int]) -> dict[int, PlanView]:
    """The current version of each plan, as :func:`bot.store.goals.load_view` gives one, in
    four queries for all of them; a plan that is not found is left out."""
    if not plan_ids:
        return {}
    found = (await session.exec(
        select(PlanRow, PlanVersionRow, GoalRow)
        .join(PlanVersionRow, (col(PlanVersionRow.plan_id) == col(PlanRow.id))
              & (col(PlanVersionRow.version) == col(PlanRow.current_version)))
        .join(GoalRow, col(GoalRow.id) == col(PlanRow.goal_id))
        .where(col(PlanRow.id).in_(sorted(set(plan_ids)))))).all()
    steps: dict[int, list[StepRow]] = {}
    version_ids = [v.id for _, v, _ in found if v.id is not None]
    if version_ids:
        for step in await session.exec(select(StepRow).where(col(StepRow.plan_version_id).in_(version_ids))
                                       .order_by(col(StepRow.plan_version_id), col(StepRow.position))):
            steps.setdefault(step.plan_version_id, []).append(step)
    return {plan.id: PlanView(goal=goal, plan=plan, version=version, steps=steps.get(version.id or 0, []))
            for plan, version, goal in found if plan.id is not None}


async def decided_by(session: AsyncSession, version_ids: Sequence[int], actor_key: str) -> set[int]:
    """Which of these versions ``actor_key`` already approved or rejected."""
    if not version_ids:
        return set()
    found = await session.exec(select(ApprovalRow.plan_version_id).where(
        col(ApprovalRow.plan_version_id).in_(sorted(set(version_ids))), col(ApprovalRow.approver_key) == actor_key))
    return set(found.all())


async def previews_of(session: AsyncSession, version_ids: Sequence[int]) -> dict[int, PreviewRow]:
    if not version_ids:
        return {}
    found = await session.exec(select(PreviewRow).where(col(PreviewRow.plan_version_id).in_(sorted(set(version_ids)))))
    return {row.plan_version_id: row for row in found}
