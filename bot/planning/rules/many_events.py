"""Cancelling every event of a day or a week ("cancel all my meetings tomorrow", "call off
everything next week", "cancel tomorrow's meetings with Bob").

The plan lists the events first (a read, so the card's preview shows exactly which events
would go before anyone approves) and then cancels each of them. It used to read "all
meetings" as the title of one event, and either named "meetings" as a word it did not
understand or looked for an event called "everything week". Moving many events at once is
not planned: the rules move one event at a time.
"""

from __future__ import annotations

import re

from bot.domain import CannotPlan, Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import calendar_plans
from bot.planning.rules.attendees import ref
from bot.planning.rules.thread_facts import Facts

MINE = lazy(r"\b(?:my|mine)\b", re.I)
MANY = lazy(r"\b(?:all|every|everything|each)\b|\b(?:meetings|events|calls|appointments)\b", re.I)


def plan_cancel_many(text: str, facts: Facts, context: PlanningContext) -> PlanningOutcome | None:
    """The plan for cancelling several events, or None when the goal names one event."""
    if not MANY.search(text):
        return None
    if facts.day is None and facts.week is None:
        return Clarification(question="Which day's (or week's) events should I cancel? For example "
                                      "\u201ccancel all my meetings tomorrow\u201d.")
    listing = calendar_plans.plan_calendar_read(facts, context)
    if not isinstance(listing, PlanDraft):
        return listing
    first = listing.steps[0]
    if MINE.search(text) and "attendee" not in first.args:
        # "my meetings": the requester's own, never every event on the team's calendar
        me = calendar_plans.requester_person(context)
        if me is None:
            return Clarification(question=(
                "Whose events should I cancel? I can't tell which calendar address is yours: name "
                "the people (\u201ccancel my meetings with Bob tomorrow\u201d) or say \u201ccancel "
                "every event tomorrow\u201d to mean the whole team's calendar."))
        mine = f"List calendar events {me.name} attends"
        first = first.model_copy(update={"args": {**first.args, "attendee": me.email},
                                         "note": first.note.replace("List calendar events", mine, 1)})
        listing = PlanDraft(summary=listing.summary.replace("List calendar events", mine, 1), steps=[first])
    cancel = Step(id="s2", action="local.cancel_event", for_each=f"{first.id}.events",
                  args={"event_id": ref("item.id")}, note="Cancel each of them and tell its attendees")
    summary = listing.summary.replace("List calendar events", "Cancel every calendar event", 1)
    return PlanDraft(summary=summary, steps=[first, cancel])


def refuse_move_many(text: str) -> PlanningOutcome | None:
    if re.search(r"\b(?:all|every|everything)\b|\b(?:meetings|events|appointments)\b", text, re.I):
        return CannotPlan(message="I can move one event at a time without Claude: name it by its title or "
                                  "its time (\u201cmove my 2pm tomorrow to Friday at 3pm\u201d).")
    return None
