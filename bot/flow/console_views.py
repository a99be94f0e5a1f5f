"""What the web console (bot/console) asks of the conversation: which plans wait for a
person, whether they may see and decide one, and the click that decides it.

The console decides nothing itself. Whether someone may approve is the policy's answer
through :func:`bot.flow.approvals.requirement_of`, exactly as for a click in chat; the card
is :func:`bot.flow.card_refresh.current_card`, the one chat shows; and a decision is the
neutral :class:`ButtonPressed` chat sends, handled by the same door.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.buttons import ButtonId
from bot.chat.events import ButtonPressed
from bot.chat.replies import PlanCard
from bot.domain import Actor, ApprovalDecision, PlanStatus
from bot.flow.addressing import where_of
from bot.flow.approvals import requirement_of
from bot.flow.card_refresh import current_cards
from bot.flow.membership import outsider_reason
from bot.policy.request_facts import team_of_key
from bot.store import card_reads
from bot.store.console_queries import Team, proposed_plans
from bot.store.database import Session
from bot.store.goals import PlanView

if TYPE_CHECKING:
    from bot.core.deputy import Deputy
    from bot.policy import Policy


@dataclass(frozen=True)
class PlanAccess:
    """A plan as one person may see it: the card, and whether they may decide it now."""

    view: PlanView
    card: PlanCard
    may_decide: bool
    why_not: str  # why they may not decide ("" when they may)


def team_of(actor: Actor) -> Team:
    return Team(actor.platform, actor.team_id)


async def _accesses(app: Deputy, session: Session, actor: Actor,
                    plan_ids: Sequence[int] | None) -> dict[int, tuple[PlanView, bool, str]]:
    """By plan id, in the order of ``plan_ids`` (None: the plans of ``actor``'s team waiting
    for a decision, newest first): (the plan's current version, whether ``actor`` may decide
    it now, why not). A plan they may not see at all is left out: another team's plan, or
    one they neither asked for nor may approve. Read in a few queries for all the plans."""
    if plan_ids is None:
        plan_ids = [plan_id for plan_id, _version in await proposed_plans(session, team_of(actor))]
    views = await card_reads.load_views(session, plan_ids)
    ids = [v.version.id for v in views.values() if v.version.id is not None]
    stored = await card_reads.previews_of(session, ids)
    decided = await card_reads.decided_by(session, ids, actor.key)
    policies: dict[str, Policy] = {}  # the plans of one page are mostly of one team
    found = {}
    for plan_id in plan_ids:
        view = views.get(plan_id)
        if view is None or view.version.id is None or outsider_reason(view.goal, actor) is not None:
            continue
        team = team_of_key(view.goal.requester_key)
        if team not in policies:
            policies[team] = await app.policy_of(view.goal.requester_key, session)
        policy = policies[team]
        preview = stored.get(view.version.id)
        requirement = requirement_of(app, policy, view, preview.outputs if preview else None)
        allowed, why = requirement.may_approve(policy, actor, view.goal.requester_key)
        if not (allowed or actor.key == view.goal.requester_key):
            continue
        if view.version.status != PlanStatus.PROPOSED:
            why = f"this version is {view.version.status}"
        elif requirement.denied:
            why = "a step is denied by the policy"
        elif view.version.id in decided:
            why = "you already decided on this version"
        elif allowed or view.version.requester_consent:
            why = ""
        found[plan_id] = (view, not why, why)
    return found


async def plan_access(app: Deputy, actor: Actor, plan_id: int) -> PlanAccess | None:
    """The plan's current version as ``actor`` may see it, with its card; None when they may
    not see it (see :func:`_accesses`). One transaction for all of it."""
    async with app.database.session(team=actor.team_key) as session:
        found = (await _accesses(app, session, actor, [plan_id])).get(plan_id)
        if found is None:
            return None
        view, may_decide, why = found
        card = (await current_cards(app, [view], session=session))[0]
    return PlanAccess(view, card, may_decide, why)


async def waiting_for(app: Deputy, actor: Actor, page: int = 1, per_page: int = 10) -> tuple[list[PlanAccess], int]:
    """One page of the plans of ``actor``'s team waiting for a decision ``actor`` may give,
    newest first, with their cards; and how many there are in all. One transaction."""
    async with app.database.session(team=actor.team_key) as session:
        found = await _accesses(app, session, actor, None)
        decidable = [view for view, may_decide, _ in found.values() if may_decide]
        shown = decidable[(page - 1) * per_page:page * per_page]
        cards = await current_cards(app, shown, session=session)
    return [PlanAccess(view, card, True, "") for view, card in zip(shown, cards, strict=True)], len(decidable)


def decision(actor: Actor, view: PlanView, choice: ApprovalDecision) -> ButtonPressed:
    """The click in chat that makes this decision on this exact version."""
    assert view.plan.id is not None
    action = "approve" if choice is ApprovalDecision.APPROVE else "reject"
    return ButtonPressed(actor=actor, where=where_of(view.goal),
                         button_id=str(ButtonId(view.plan.id, view.version.version, action)))

