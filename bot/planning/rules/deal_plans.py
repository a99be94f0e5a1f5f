"""Deals: the open pipeline, deals at a stage, above an amount, for a company."""

from __future__ import annotations

import re

from bot.domain import PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import qualifiers

_STAGES = (
    ("won", lazy(r"\b(?:won|win|closed[- ]won)\b", re.I)),
    ("lost", lazy(r"\b(?:lost|lose|closed[- ]lost)\b", re.I)),
    ("negotiation", lazy(r"\bnegotiat\w*\b", re.I)),
    ("proposal", lazy(r"\bproposals?\b", re.I)),
    ("qualified", lazy(r"\bqualified\b", re.I)),
    ("lead", lazy(r"\bleads?\b", re.I)),
    ("any", lazy(r"\ball\s+(?:the\s+|our\s+)?deals\b|\bevery\s+deal\b", re.I)),
)


def plan_list_deals(goal: str, context: PlanningContext) -> PlanningOutcome:
    stage = next((name for name, pattern in _STAGES if pattern.search(goal)), "open")
    args: dict[str, object] = {"stage": stage}
    companies = qualifiers.included_clients(goal, context.clients)  # never one it leaves out
    if companies:
        args["company"] = companies[0]
    narrowing = qualifiers.read(goal, context.clients)
    if narrowing.amount_above_cents is not None:
        args["amount_above_cents"] = narrowing.amount_above_cents
    words = {"open": "open deals", "any": "every deal"}.get(stage, f"deals at stage {stage}")
    if companies:
        words += f" with {companies[0]}"
    if narrowing.amount_above_cents is not None:
        words += f" worth over {narrowing.amount_above_cents / 100:,.2f}"
    return PlanDraft(summary=f"List {words}", steps=[
        Step(id="s1", action="local.list_deals", args=args, note=f"List {words}, with their total")])
