"""Turns a planner's outcome into what people see: a plan version with a card, a question,
or an honest "I can't do that". Shared by new goals, thread replies, edits and re-plans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot import metrics
from bot.chat.port import MessageRef
from bot.chat.replies import CardState, Notice, Question
from bot.domain import (
    CannotPlan,
    Clarification,
    Effect,
    GoalStatus,
    PlanDraft,
    PlanningOutcome,
    PlanStatus,
)
from bot.flow import seen
from bot.flow.addressing import consent_note, where_of
from bot.flow.autopilot import autopilot_note
from bot.flow.card_refresh import start_run
from bot.flow.cards import build_card
from bot.flow.connections import missing_connections
from bot.flow.memory_use import using
from bot.flow.plan_diff import describe_changes
from bot.flow.previews import reads_trusted, run_previews
from bot.flow.thread_answers import post_answer
from bot.planning.validation import validate_plan
from bot.policy import PlanRequirement, Policy, RequestFacts, evaluate_plan, plan_requirement
from bot.policy.request_facts import facts_of, team_of_key
from bot.store import audit, goals, messages, previews
from bot.store import thread as thread_messages
from bot.store.goals import PlanView, StepVerdict
from bot.store.tables import GoalRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def _is_read(app: Deputy, action: str) -> bool:
    spec = app.registry.spec(action)
    return spec is not None and spec.effect is Effect.READ


async def propose(app: Deputy, goal_id: int, outcome: PlanningOutcome, *, team: str, reason: str,
                  author_key: str | None, note: str = "") -> None:
    """Answer goal ``goal_id`` of ``team`` with ``outcome``: a card, a question or why not. Every
    session is the team's, so a goal id of another team finds nothing."""
    async with app.database.session(team=team) as session:
        goal = await goals.get_goal(session, goal_id)
        assert goal is not None
        await goals.add_usage(session, goal, outcome.usage)
        # a plan is judged by one reading of the team's policy, in this transaction
        policy = await app.policy_of(goal.requester_key, session) if isinstance(outcome, PlanDraft) else None
    metrics.count_tokens(outcome.usage)
    if isinstance(outcome, Clarification):
        async with app.database.session(team=team) as session:
            goal = await goals.get_goal(session, goal_id)
            assert goal is not None
            await goals.set_goal_status(session, goal, GoalStatus.WAITING)
            said = await thread_messages.add_thread_message(session, goal_id, "Deputy", outcome.question)
            await audit.append(session, "question", goal_id=goal_id, data={"question": outcome.question})
        await post_answer(app, goal, Question(outcome.question), said)
        return
    if isinstance(outcome, CannotPlan):
        await _unplanned(app, team, goal_id, outcome.message)
        return
    assert policy is not None
    await _propose_draft(app, team, goal, policy, outcome, reason=reason, author_key=author_key, note=note)


async def _same_as_waiting(app: Deputy, team: str, goal_id: int, draft: PlanDraft) -> bool:
    """A reply or edit that leaves the waiting plan exactly as it is makes no new version
    (approvals would be voided for nothing): say so instead."""
    async with app.database.session(team=team) as session:
        goal = await goals.get_goal(session, goal_id)
        plan = await goals.plan_for_goal(session, goal_id)
        view = await goals.load_view(session, plan.id) if plan is not None and plan.id else None
    if goal is None or view is None or view.version.status != PlanStatus.PROPOSED:
        return False
    if view.draft().fingerprint() != draft.fingerprint():
        return False
    await app.port(goal.platform).post(where_of(goal), Notice(
        f"That changes nothing in the plan: version {view.version.version} stays as it is, "
        "with its approvals.", tone="info"))
    return True


async def _nothing_to_approve(app: Deputy, goal_id: int, view: PlanView, blockers: tuple[str, ...]) -> None:
    """The preview found nothing to do, or a name nobody matches: say what was found and
    ask, instead of asking people to approve a plan that would do nothing or fail."""
    question = ("Before asking anyone to approve this, I looked:\n"
                + "\n".join(f"• {b}" for b in blockers)
                + "\nSo there is nothing to approve yet. What should I do instead?")
    async with app.database.session(team=view.goal.team_key) as session:
        current = await goals.load_view(session, view.plan.id or 0, view.version.version, for_update=True)
        if current is not None:
            await goals.set_version_status(session, current.version, PlanStatus.SUPERSEDED)
        goal = await goals.get_goal(session, goal_id)
        assert goal is not None
        await goals.set_goal_status(session, goal, GoalStatus.WAITING)
        said = await thread_messages.add_thread_message(session, goal_id, "Deputy", question)
        await audit.append(session, "preview_found_nothing", goal_id=goal_id, data={
            "plan": view.plan.id, "version": view.version.version, "found": list(blockers)})
    if app.port(goal.platform):
        await post_answer(app, goal, Question(question), said)


async def _unplanned(app: Deputy, team: str, goal_id: int, message: str) -> None:
    async with app.database.session(team=team) as session:
        goal = await goals.get_goal(session, goal_id)
        assert goal is not None
        await goals.set_goal_status(session, goal, GoalStatus.UNPLANNED)
        # in the thread's history: a reply re-plans knowing why, and a redo finds it unposted
        said = await thread_messages.add_thread_message(session, goal_id, "Deputy", message)
        await audit.append(session, "unplanned", goal_id=goal_id, data={"message": message})
    await post_answer(app, goal, Notice(message, tone="warning"), said)


async def _read_again(app: Deputy, view: PlanView, policy: Policy, facts: RequestFacts) -> str:
    """The policy read again on the previewed values (bot/flow/seen.py): a stricter verdict
    replaces the stored one, so the card and the quorum show what the plan really needs."""
    async with app.database.session(team=view.goal.team_key) as session:
        preview = await previews.get(session, view.version.id or 0)
    if preview is None:
        return ""
    decisions = seen.seen_decisions(app, policy, view, preview.outputs, facts)
    stricter = seen.stricter_rows(view.steps, decisions)
    if not stricter:
        return ""
    for row, decision in stricter:
        row.verdict, row.verdict_reason, row.rule = decision.verdict.value, decision.reason, decision.rule
    needed = seen.requirement(app, policy, view, preview.outputs, facts)
    view.version.approvals_required = needed.approvals
    view.version.requester_may_approve = needed.requester_may_approve
    async with app.database.session(team=view.goal.team_key) as session:
        await goals.save_verdicts(session, view)
        await audit.append(session, "verdicts_from_preview", goal_id=view.goal.id, data={
            "plan": view.plan.id, "version": view.version.version,
            "steps": {row.step_id: decision.verdict.value for row, decision in stricter}})
    return "With the values looked up: " + "; ".join(
        f"step {row.position} {decision.reason}" for row, decision in stricter)


async def _propose_draft(app: Deputy, team: str, asking: GoalRow, policy: Policy, draft: PlanDraft, *,
                         reason: str, author_key: str | None, note: str) -> None:
    """``asking``: the goal as read when its usage was added; ``policy``: its team's, read then."""
    assert asking.id is not None
    goal_id = asking.id
    # only the actions of integrations the goal's team may use (MCP servers per team)
    errors = validate_plan(draft, app.registry.for_team(team_of_key(asking.requester_key)))
    if errors:
        listed = "\n".join(f"• {e}" for e in errors[:10])
        await _unplanned(app, team, goal_id, f"I could not make a valid plan, so nothing will run:\n{listed}")
        return
    if author_key is not None and await _same_as_waiting(app, team, goal_id, draft):
        return
    facts = facts_of(asking, app.clock())
    verdicts, requirement = _judge(app, policy, draft, facts)
    stored = await _store_version(app, team, goal_id, draft, verdicts, requirement, reason, author_key)
    goal, view, old_view = stored.goal, stored.view, stored.old_view
    metrics.PLANS_PROPOSED.inc()
    requester = stored.requester
    port = app.port(goal.platform)
    if old_view is not None and stored.old_ref is not None and stored.old_was_waiting:
        await port.update(stored.old_ref, build_card(
            old_view, app.registry, state=CardState.SUPERSEDED, requester=requester,
            note=f"replaced by version {view.version.version}"))
    shown = await _what_the_card_says(app, stored, policy, draft, verdicts, requirement, facts, requester, note)
    if shown is None:
        return  # nothing to approve: said so instead of a card
    runs_alone, note, files = shown
    if old_view is not None:
        changes = describe_changes(old_view.draft(), draft, old_view.version.version)
        note = (note + "\n" if note else "") + changes if changes else note
    consent_line = await consent_note(app, view)
    note = consent_line + ("\n" + note if note else "") if consent_line else note
    used, forget = await using(app, view)  # "Using: …" names the memories, on every redraw
    note = "\n".join(line for line in (used, note) if line)
    state = CardState.APPROVED if runs_alone else CardState.AWAITING
    card = replace(build_card(view, app.registry, state=state, requester=requester, note=note,
                              extra_buttons=forget), files=files)
    if runs_alone and view.version.id is not None:
        async with app.database.session(team=team) as session:
            await goals.approve_to_run_alone(session, view.version.id)
    ref = await port.post(where_of(goal), card)
    if ref is not None:  # None: nothing was posted (logged, and on /readyz)
        async with app.database.session(team=team) as session:
            await messages.remember(session, goal_id, view.version.id, "plan_card", ref)
    if runs_alone:
        await start_run(app, view.plan.id or 0, view.version.version, team=team, actor_key=None)


def _judge(app: Deputy, policy: Policy, draft: PlanDraft,
           facts: RequestFacts) -> tuple[list[StepVerdict], PlanRequirement]:
    """The team's policy's verdict on each step, and what the whole plan needs to run."""
    effects = []
    for step in draft.steps:
        spec = app.registry.spec(step.action)
        assert spec is not None  # validate_plan checked every action exists
        effects.append(spec.effect)
    # totals (sum(...), count(...)) are taken over the whole plan, so splitting changes nothing
    decisions = evaluate_plan(policy, list(zip(draft.steps, effects, strict=True)), facts)
    verdicts = [StepVerdict(effect=effect.value, verdict=decision.verdict.value,
                            reason=decision.reason, rule=decision.rule)
                for decision, effect in zip(decisions, effects, strict=True)]
    return verdicts, plan_requirement(decisions)


@dataclass(frozen=True)
class _Stored:
    goal: GoalRow
    view: PlanView
    old_view: PlanView | None
    old_ref: MessageRef | None
    consent: bool  # changed by someone other than the requester: they must approve too
    # read before the new version marks it superseded: its card still shows buttons
    old_was_waiting: bool = False
    requester: str = ""  # the requester's name, for the card


async def _store_version(app: Deputy, team: str, goal_id: int, draft: PlanDraft, verdicts: list[StepVerdict],
                         requirement: PlanRequirement, reason: str, author_key: str | None) -> _Stored:
    async with app.database.session(team=team) as session:
        goal = await goals.get_goal(session, goal_id)
        assert goal is not None
        old = await goals.plan_for_goal(session, goal_id)
        old_view = await goals.load_view(session, old.id) if old and old.id else None
        old_was_waiting = old_view is not None and old_view.version.status == "proposed"
        # changed by another person, or Deputy's re-plan of such a change
        consent = (author_key not in (None, goal.requester_key)) or (
            author_key is None and old_view is not None and old_view.version.requester_consent)
        view = await goals.add_version(
            session, goal, draft, verdicts, approvals_required=requirement.approvals,
            requester_may_approve=requirement.requester_may_approve, reason=reason,
            author_key=author_key, requester_consent=consent)
        await goals.set_goal_status(session, goal, GoalStatus.WAITING)
        old_ref = await messages.card_of(session, old_view.version.id) if old_view and old_view.version.id else None
        asker = await goals.get_actor(session, goal.requester_key)
        # last: the team's chain stays locked from the append to the commit (bot/store/audit.py)
        await audit.append(session, "plan_version", actor_key=author_key, goal_id=goal_id, data={
            "plan": view.plan.id, "version": view.version.version, "fingerprint": draft.fingerprint(),
            "reason": reason, "steps": [s.model_dump(by_alias=True) for s in draft.steps],
            "verdicts": [v.verdict for v in verdicts]})
    return _Stored(goal, view, old_view, old_ref, consent, old_was_waiting,
                   asker.label if asker is not None else goal.requester_key)


async def _what_the_card_says(app: Deputy, stored: _Stored, policy: Policy, draft: PlanDraft,
                              verdicts: list[StepVerdict], requirement: PlanRequirement,
                              facts: RequestFacts, requester: str,
                              note: str) -> tuple[bool, str, tuple[str, ...]] | None:
    """(runs without approval?, the card's note, files to attach); None when the previews
    found nothing to approve (the thread was told)."""
    goal, view, consent = stored.goal, stored.view, stored.consent
    untrusted = [f"step {n} ({s.action})" for n, s in enumerate(draft.steps, start=1)
                 if _is_read(app, s.action) and not reads_trusted(app, s.action)]
    if untrusted:
        note = (note + "\n" if note else "") + (
            f"{', '.join(untrusted)}: the server says it only reads, but it is not marked trusted "
            "in deputy.toml, so nothing of it ran before approval.")
    runs_alone = not consent and not untrusted and requirement.runs_alone and not any(
        app.registry.spec(s.action) is None or app.registry.spec(s.action).effect is not Effect.READ  # type: ignore[union-attr]
        for s in draft.steps)
    pilot = None if runs_alone or consent or untrusted else await autopilot_note(
        app, goal, draft.steps, [(v.verdict, v.rule) for v in verdicts], policy)
    runs_alone = runs_alone or pilot is not None
    missing = await missing_connections(app, goal.requester_key, {s.integration for s in draft.steps})
    if missing:
        runs_alone = False
        note = (note + "\n" if note else "") + (
            f"Not connected yet: {', '.join(missing)}. {requester} can `connect {missing[0]}` "
            "(privately); the plan can be approved once it is connected.")
    files: tuple[str, ...] = ()  # the preview's screenshots, attached to the card
    if runs_alone:
        note = (note + "\n" if note else "") + (pilot or "Read-only: runs without approval.")
    elif not missing and not requirement.denied:
        preview = await run_previews(app, view)  # real values on the card; binds the approval
        if preview.blockers:
            assert goal.id is not None
            await _nothing_to_approve(app, goal.id, view, preview.blockers)
            return None
        note = (note + "\n" if note else "") + preview.note if preview.note else note
        files = preview.files
        asks_more = await _read_again(app, view, policy, facts)
        note = (note + "\n" if note else "") + asks_more if asks_more else note
    return runs_alone, note, files
