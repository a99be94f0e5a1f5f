"""The offline rule planner: deterministic, no network, for the embedded default and tests.

It recognises a handful of goal shapes (booking, invoicing, chasing, listing, CRM lookups
and updates, calendar reads) in varied English and plans them over the ``local``
integration — or, for booking, invoicing and chasing, over the requester's connected
CalDAV, HubSpot, Stripe and SMTP accounts (see ``backends``). Anything else gets an honest
answer naming what it can do.
"""

from __future__ import annotations

from bot.domain import CannotPlan, PlanDraft, PlanningOutcome
from bot.planning.protocol import PlanningContext, ReplanRequest
from bot.planning.rules import calendar_plans, crm_plans, money_plans
from bot.planning.rules.facts import read_thread
from bot.planning.rules.intents import Intent, classify
from bot.planning.rules.replan import replan as replan_after_failure
from bot.planning.validation import validate_plan

CAPABILITIES = """\
Without Claude I understand these kinds of goals:
\u2022 book a meeting \u2014 "book 30 minutes with Alice and Bob next Tuesday at 10am"
\u2022 invoice clients for a period \u2014 "invoice all clients for last month"
\u2022 chase overdue invoices \u2014 "send reminders for everything overdue"
\u2022 list invoices \u2014 "what's overdue?"
\u2022 look something up in the CRM \u2014 "look up Acme"
\u2022 update the CRM \u2014 "set Bob's title to CTO"
\u2022 read the calendar \u2014 "what's on my calendar tomorrow?"
Set ANTHROPIC_API_KEY to enable the full Claude planner, which plans any goal over every connected integration."""


class RulePlanner:
    name = "rules"

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        text = goal.strip()
        intent = classify(text) if len(text) >= 3 else None
        if intent is None:
            opening = f"I don't know how to do \u201c{text}\u201d." if text else "There is no goal to plan."
            return CannotPlan(message=f"{opening}\n{CAPABILITIES}")
        facts = read_thread(text, context)
        if intent is Intent.BOOK:
            outcome = calendar_plans.plan_booking(text, facts, context)
        elif intent is Intent.CALENDAR:
            outcome = calendar_plans.plan_calendar_read(facts, context)
        elif intent is Intent.INVOICE:
            outcome = money_plans.plan_invoicing(text, facts, context)
        elif intent is Intent.CHASE:
            outcome = money_plans.plan_chase(text, facts, context)
        elif intent is Intent.LIST_INVOICES:
            outcome = money_plans.plan_invoice_list(text, facts)
        elif intent is Intent.CRM_UPDATE:
            outcome = crm_plans.plan_update(text, context)
        else:
            outcome = crm_plans.plan_lookup(text, context)
        return self._checked(outcome, context)

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        return self._checked(replan_after_failure(request, context), context)

    @staticmethod
    def _checked(outcome: PlanningOutcome, context: PlanningContext) -> PlanningOutcome:
        """A rule plan that the catalogue rejects (say, the local integration is switched
        off) becomes an explanation rather than a card nobody could run."""
        if not isinstance(outcome, PlanDraft):
            return outcome
        problems = validate_plan(outcome, context.actions)
        if problems:
            return CannotPlan(message=f"I planned \u201c{outcome.summary}\u201d but cannot run it here: {problems[0]}.\n{CAPABILITIES}")
        return outcome
