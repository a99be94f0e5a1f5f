"""What the web console (bot/console) asks of the conversation: which plans wait for a
person, whether they may see and decide one, and the click that decides it.

The console decides nothing itself. Whether someone may approve is the policy's answer
through :func:`bot.flow.approvals.requirement_of`, exactly as for a click in chat; the card
is :func:`bot.flow.card_refresh.current_card`, the one chat shows; and a decision is the
neutral :class:`ButtonPressed` chat sends, handled by the same door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.buttons import ButtonId
from bot.chat.events import ButtonPressed
from bot.chat.replies import PlanCard
from bot.domain import Actor, ApprovalDecision, PlanStatus
from bot.flow.addressing import where_of
from bot.flow.approvals import requirement_of
from bot.flow.card_refresh import current_card
from bot.flow.membership import outsider_reason
from bot.store import goals, previews
from bot.store.console_queries import Team, has_decided, proposed_plans
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


@dataclass(frozen=True)
class PlanAccess:
    """A plan as one person may see it: the card, and whether they may decide it now."""

    view: PlanView
    card: PlanCard
    may_decide: bool
    why_not: str  # why they may not decide ("" when they may)


def team_of(actor: Actor) -> Team:
    return Team(actor.platform, actor.team_id)


async def _access(app: Deputy, actor: Actor, plan_id: int) -> tuple[PlanView, bool, str] | None:
    """(the plan's current version, whether ``actor`` may decide it now, why not); None when
    they may not see it at all: another team's plan, or one they neither asked for nor may
    approve."""
    async with app.database.session() as session:
        view = await goals.load_view(session, plan_id)
        if view is None or view.version.id is None:
            return None
        stored = await previews.get(session, view.version.id)
        decided = await has_decided(session, view.version.id, actor.key)
    if outsider_reason(view.goal, actor) is not None:
        return None
    policy = await app.policy_of(view.goal.requester_key)
    requirement = requirement_of(app, policy, view, stored.outputs if stored else None)
    allowed, why = requirement.may_approve(policy, actor, view.goal.requester_key)
    if not (allowed or actor.key == view.goal.requester_key):
        return None
    if view.version.status != PlanStatus.PROPOSED:
        why = f"this version is {view.version.status}"
    elif requirement.denied:
        why = "a step is denied by the policy"
    elif decided:
        why = "you already decided on this version"
    elif allowed or view.version.requester_consent:
        why = ""
    return view, not why, why


async def plan_access(app: Deputy, actor: Actor, plan_id: int) -> PlanAccess | None:
    """The plan's current version as ``actor`` may see it, with its card; None when they may
    not see it (see :func:`_access`)."""
    found = await _access(app, actor, plan_id)
    if found is None:
        return None
    view, may_decide, why = found
    return PlanAccess(view, await current_card(app, view), may_decide, why)


async def waiting_for(app: Deputy, actor: Actor, page: int = 1, per_page: int = 10) -> tuple[list[PlanAccess], int]:
    """One page of the plans of ``actor``'s team waiting for a decision ``actor`` may give,
    newest first, with their cards; and how many there are in all."""
    async with app.database.session() as session:
        waiting = await proposed_plans(session, team_of(actor))
    decidable = []
    for plan_id, _version in waiting:
        found = await _access(app, actor, plan_id)
        if found is not None and found[1]:
            decidable.append(found)
    shown = decidable[(page - 1) * per_page:page * per_page]
    return [PlanAccess(view, await current_card(app, view), True, "") for view, _, _ in shown], len(decidable)


def decision(actor: Actor, view: PlanView, choice: ApprovalDecision) -> ButtonPressed:
    """The click in chat that makes this decision on this exact version."""
    assert view.plan.id is not None
    action = "approve" if choice is ApprovalDecision.APPROVE else "reject"
    return ButtonPressed(actor=actor, where=where_of(view.goal),
                         button_id=str(ButtonId(view.plan.id, view.version.version, action)))

