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


async def _decided(app: Deputy, view: PlanView, actor: Actor) -> bool:
    async with app.database.session() as session:
        return await has_decided(session, view.version.id or 0, actor.key)


async def plan_access(app: Deputy, actor: Actor, plan_id: int) -> PlanAccess | None:
    """The plan's current version as ``actor`` may see it; None when they may not see it at
    all: another team's plan, or one they neither asked for nor may approve."""
    async with app.database.session() as session:
        view = await goals.load_view(session, plan_id)
        stored = await previews.get(session, view.version.id or 0) if view is not None else None
    if view is None or outsider_reason(view.goal, actor) is not None:
        return None
    policy = await app.policy_of(view.goal.requester_key)
    requirement = requirement_of(app, policy, view, stored.outputs if stored else None)
    allowed, why = requirement.may_approve(policy, actor, view.goal.requester_key)
    requester = actor.key == view.goal.requester_key
    if not (allowed or requester):
        return None
    card = await current_card(app, view)
    if view.version.status != PlanStatus.PROPOSED:
        why = f"this version is {view.version.status}"
    elif requirement.denied:
        why = "a step is denied by the policy"
    elif await _decided(app, view, actor):
        why = "you already decided on this version"
    elif allowed or view.version.requester_consent:
        why = ""
    return PlanAccess(view, card, not why, why)


async def waiting_for(app: Deputy, actor: Actor) -> list[PlanAccess]:
    """The plans of ``actor``'s team waiting for a decision ``actor`` may give."""
    async with app.database.session() as session:
        waiting = await proposed_plans(session, team_of(actor))
    found = []
    for plan_id, _version in waiting:
        access = await plan_access(app, actor, plan_id)
        if access is not None and access.may_decide:
            found.append(access)
    return found


def decision(actor: Actor, view: PlanView, choice: ApprovalDecision) -> ButtonPressed:
    """The click in chat that makes this decision on this exact version."""
    assert view.plan.id is not None
    action = "approve" if choice is ApprovalDecision.APPROVE else "reject"
    return ButtonPressed(actor=actor, where=where_of(view.goal),
                         button_id=str(ButtonId(view.plan.id, view.version.version, action)))

