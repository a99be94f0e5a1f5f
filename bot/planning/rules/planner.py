"""The offline rule planner: deterministic, no network, for the embedded default and tests.

It recognises everyday goal shapes (invoices and reminders, booking, the calendar, CRM
look-ups and changes, deals, time worked) in varied English and plans them over the
``local`` integration — or, for booking, invoicing and chasing, over the requester's
connected CalDAV, HubSpot, Stripe and SMTP accounts (see ``backends``).

It must never be confidently wrong. Every meaningful word of the goal is either used by
the plan or named in an honest answer (``coverage``); names resolve strictly; a goal in
another language or one that asks to delete records is answered, not planned.
"""

from __future__ import annotations

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome
from bot.planning.protocol import PlanningContext, ReplanRequest
from bot.planning.rules import (
    calendar_plans,
    coverage,
    crm_plans,
    deal_plans,
    event_plans,
    language,
    many_events,
    money_plans,
    negation,
    parts,
    qualifiers,
    reuse,
    unsupported,
    work_plans,
)
from bot.planning.rules.intents import Intent, classify
from bot.planning.rules.replan import replan as replan_after_failure
from bot.planning.rules.thread_facts import read_thread
from bot.planning.rules.thread_facts import sending_phrases as facts_phrases
from bot.planning.validation import validate_plan

CAPABILITIES = """\
Without Claude I understand these kinds of goals:
\u2022 invoices \u2014 "what's overdue?", "who owes us money apart from Globex?", "invoice all clients for last month"
\u2022 reminders \u2014 "chase invoices more than two weeks late"
\u2022 meetings \u2014 "book 30 minutes with Ben next Tuesday at 10am", "move the design review to 3pm", "call off the retro"
\u2022 the calendar \u2014 "what's on my calendar tomorrow?"
\u2022 the CRM \u2014 "look up Acme", "set Tom's title to CFO", "add a contact Jane Doe, jane@acme.example, at Acme Corp"
\u2022 deals \u2014 "list open deals", "move the Globex deal to won"
\u2022 time \u2014 "log 3 hours on Acme today", "hours per client last month"
\u2022 past runs \u2014 "invoice Acme like last month", "do the same for Globex"
Set ANTHROPIC_API_KEY to enable the full Claude planner, which plans any goal over every connected integration."""


def _known_words(context: PlanningContext) -> set[str]:
    names = {w.lower() for p in context.people for w in p.name.split()}
    return names | {w.lower() for c in context.clients for w in c.split()}


class RulePlanner:
    name = "rules"

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome:
        text = " ".join(goal.split())
        if text.isupper():
            text = text.lower()  # shouted goals read like any other
        if len(text) < 3:
            return CannotPlan(message=("There is no goal to plan." if not text else
                                       f"I don't know how to do \u201c{text}\u201d.") + f"\n{CAPABILITIES}")
        if language.foreign_language(text):
            return CannotPlan(message=language.NOT_ENGLISH)
        reused = reuse.plan(text, context)  # "invoice Acme like last month", "do the same for Globex"
        if reused is not None:
            return self._checked(reused, context)
        text = language.correct_spelling(text, coverage.vocabulary(), _known_words(context))
        pieces = parts.split(text) if not context.history else [text]
        drafts: list[PlanDraft] = []
        for piece in pieces:
            outcome = self._plan_part(piece, context)
            if isinstance(outcome, PlanDraft):
                drafts.append(outcome)
                continue
            if len(pieces) == 1:
                return outcome
            done = "\u201d and \u201c".join(p for p in pieces if p != piece)
            told = outcome.question if isinstance(outcome, Clarification) else outcome.message.split("\n")[0]
            return CannotPlan(message=(
                f"I can plan \u201c{done}\u201d but not \u201c{piece}\u201d: {told}\n"
                "Ask for the part I can do on its own, or say the other part differently."))
        return self._checked(drafts[0] if len(drafts) == 1 else parts.join(drafts), context)

    def _plan_part(self, text: str, context: PlanningContext) -> PlanningOutcome:
        intent = classify(text)
        if intent not in (Intent.CANCEL_EVENT,) and language.DESTRUCTIVE.search(text):
            return CannotPlan(message=language.WONT_DELETE)
        if language.VOID_WORDS.search(text):
            return CannotPlan(message=language.WONT_VOID_MANY)
        # a goal that takes back what it asks for, or wording the rules would read as
        # something else, is answered before any plan is made (the goal must be written again)
        refused = negation.contradiction(text, context.clients, context.people) or unsupported.refusal(text)
        if refused:
            return CannotPlan(message=refused)
        if intent is None:
            return CannotPlan(message=f"I don't know how to do \u201c{text}\u201d.\n{CAPABILITIES}")
        outcome = self._by_intent(intent, text, context)
        if not isinstance(outcome, PlanDraft):
            return outcome
        if intent in (Intent.CHASE, Intent.LIST_INVOICES):
            undated = unsupported.undated_invoices(text, context.now, context.timezone)
            if undated:
                return CannotPlan(message=undated)
        narrowing = qualifiers.read(text, context.clients)
        used = [u for u in narrowing.used  # an exclusion the plan does not apply stays unaccounted for
                if u != narrowing.excluded_by or negation.honoured(outcome, narrowing.exclude)]
        used += (qualifiers.status(text, "any")[1] + facts_phrases(text)
                 + [m.group(0) for m in unsupported.KNOWN_DAYS.finditer(text)])
        unknown = coverage.leftover(text, outcome, context, intent, used)
        if unknown:
            words = ", ".join(f"\u201c{w}\u201d" for w in dict.fromkeys(unknown))
            return CannotPlan(message=(
                f"I understood \u201c{outcome.summary}\u201d, but not {words} in your goal, so I have not "
                "planned it: I would rather ask than do the wrong thing. Could you say it another way?"))
        return outcome

    @staticmethod
    def _by_intent(intent: Intent, text: str, context: PlanningContext) -> PlanningOutcome:
        facts = read_thread(text, context)
        if facts.impossible:  # never planned without it: "February 30" is a question
            return Clarification(question=facts.impossible)
        if intent is Intent.BOOK:
            return calendar_plans.plan_booking(text, facts, context)
        if intent is Intent.CALENDAR:
            return calendar_plans.plan_calendar_read(facts, context)
        if intent is Intent.INVOICE:
            return money_plans.plan_invoicing(text, facts, context)
        if intent is Intent.CHASE:
            return money_plans.plan_chase(text, facts, context)
        if intent is Intent.LIST_INVOICES:
            return money_plans.plan_invoice_list(text, facts, context)
        if intent is Intent.CRM_UPDATE:
            return crm_plans.plan_update(text, context)
        if intent is Intent.CREATE_CONTACT:
            return crm_plans.plan_create_contact(text, context)
        if intent is Intent.LIST_DEALS:
            return deal_plans.plan_list_deals(text, context)
        if intent is Intent.MOVE_EVENT:
            return many_events.refuse_move_many(text) or event_plans.plan_move(text, context)
        if intent is Intent.CANCEL_EVENT:
            return many_events.plan_cancel_many(text, facts, context) or event_plans.plan_cancel(text, context)
        if intent is Intent.LOG_TIME:
            return work_plans.plan_log_time(text, context)
        if intent is Intent.TIME_REPORT:
            return work_plans.plan_time_report(text, facts, context)
        if intent is Intent.UNBILLED:
            return work_plans.plan_unbilled(text, facts, context)
        return crm_plans.plan_lookup(text, context)

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome:
        return self._checked(replan_after_failure(request, context), context)

    async def aclose(self) -> None:
        """The rules hold nothing to release."""

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
