"""Every meaningful word of a goal is used by the plan or named in an honest answer.

After a part of a goal is planned, the words the plan accounts for are struck out: text the
plan carries (a title, a note, a new value), the people and clients it names, dates, times,
numbers and amounts, the words that chose its intent and the qualifiers it applied. What is
left must be filler ("please", "the", "can you"). A word left over means the goal asked for
something the plan does not do — "late by more than a month" planned as every overdue
invoice — so the planner answers honestly instead of planning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.domain import PlanDraft
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules.intents import Intent

FILLER = set("""
a an the to for of on in at by from with and or me my mine i i'm im i'd id we we're our ours us you your
please pls can could would will you'd let let's lets just now right away quickly asap also too as well
is are was were be been being am do does did done have has had get got it its it's that that's this
these those them they their there here some any anything all every each everything everyone everybody
whole entire so then but up out into about over again still yet ok okay thanks thank hey hi hello deputy
want wanted need needs like kindly go ahead quick real really actually already currently
what's whats what which who whom how many much show list tell give see display find look
""".split())

DATE_WORDS = set("""
today tonight tomorrow tomorrow's today's yesterday yesterday's day days week weeks weekly month months
quarter year years monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur
thurs fri sat sun january february march april may june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec next this coming last previous past
morning afternoon evening lunchtime lunch noon midday end am pm a.m p.m q1 q2 q3 q4 one two three
four five six seven eight nine ten eleven twelve fifteen twenty thirty forty half quarter an hour
hours hr hrs h minute minutes min mins m ago early late later earlier first time
""".split())

INTENT_WORDS: dict[Intent, set[str]] = {
    Intent.LIST_INVOICES: set("""invoice invoices bill bills overdue late unpaid outstanding owe owes
        owed owing paid pay money total totals draft drafts sent void status due payments payment
        amount sum altogether yet""".split()),
    Intent.CHASE: set("""chase chasing remind reminder reminders nudge follow follow-up send sending
        payment payments invoice invoices overdue late unpaid outstanding payers payer clients
        client customers who whoever paid is are people pay
        them their everyone""".split()),
    Intent.INVOICE: set("""invoice invoices invoicing bill billing bills send out create draft drafts
        prepare raise issue generate run clients client customers them
        only""".split()),
    Intent.BOOK: set("""book schedule set arrange organise organize plan meet meeting meetings call
        sync catch catch-up 1:1 one-on-one free slot invite find time together put something
        review design demo interview standup stand-up lunch workshop chat discussion minutes
        session team re regarding discuss discussing talk talking go through""".split()),
    Intent.CALENDAR: set("""calendar agenda diary schedule events event meetings meeting on
        free busy have got planned booked what's""".split()),
    Intent.CRM_LOOKUP: set("""look lookup up who who's is find search crm details info information
        know about contact contacts company companies account deal person pull email phone
        number title""".split()),
    Intent.CRM_UPDATE: set("""update set change move mark close deal stage add put leave write log
        note saying says that to as phone number mobile title role email address name crm
        contact company account job against on for record saying""".split()),
    Intent.CREATE_CONTACT: set("""add create new make save contact named called crm to the at
        from works""".split()),
    Intent.LOG_TIME: set("""log track record add book spent worked did time hours hour h minutes
        min mins on for doing""".split()),
    Intent.TIME_REPORT: set("""hours hour time report logged worked tracked spent spend per by client
        clients each how many much did we log total""".split()),
    Intent.UNBILLED: set("""unbilled time hours yet billed invoiced show what's how much""".split()),
    Intent.LIST_DEALS: set("""deal deals pipeline open stage won win lost lose negotiation proposal
        qualified lead leads in worth total value how much""".split()),
    Intent.MOVE_EVENT: set("""move push reschedule shift postpone bring pull forward to my the""".split()),
    Intent.CANCEL_EVENT: set("""cancel call off scrap delete remove drop my the meetings events""".split()),
}

# known so that spelling correction never turns "erase" into "raise"
DESTRUCTIVE_WORDS = {"delete", "remove", "wipe", "purge", "erase", "destroy", "drop", "nuke", "trash", "void"}

# a read's answer is posted where it was asked: "post the overdue invoices" is a read
_READ_VERBS = {"post", "share", "report", "summarise", "summarize", "summary", "digest"}
for _intent in (Intent.LIST_INVOICES, Intent.CALENDAR, Intent.LIST_DEALS, Intent.TIME_REPORT,
                Intent.UNBILLED, Intent.CRM_LOOKUP):
    INTENT_WORDS[_intent] |= _READ_VERBS

_TOKENS = lazy(r"[a-z][a-z'’.-]*[a-z]|[a-z]", re.I)
_STRUCK = (
    lazy(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),                       # email addresses
    lazy(r"\bq[1-4]\b", re.I),                                        # quarters
    lazy(r"\b\d+(?:st|nd|rd|th)\b", re.I),                          # ordinals
    lazy(r"[$€£]?\s?\d[\d,.]*\s*(?:k\b|%|am\b|pm\b|h\b|m\b)?", re.I),  # numbers, times, money
)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _strike(text: str, phrase: str) -> str:
    phrase = phrase.strip()
    if len(phrase) < 2:
        return text
    return re.sub(rf"(?<![\w@]){re.escape(phrase)}(?:'s|’s)?(?![\w@])", " ", text, flags=re.I)


def leftover(goal: str, draft: PlanDraft, context: PlanningContext, intent: Intent,
             also: Iterable[str] = ()) -> list[str]:
    """Meaningful words of ``goal`` that ``draft`` does not account for."""
    text = goal
    # longest first, so "Acme Corp weekly sync" goes before "Acme"
    phrases: set[str] = set(also)
    for step in draft.steps:
        phrases.update(_strings(step.args))
    for person in context.people:
        phrases.update([person.name, *person.name.split(), person.email])
    for client in context.clients:
        phrases.update([client, client.split()[0]])
    for phrase in sorted(phrases, key=len, reverse=True):
        text = _strike(text, phrase)
    for pattern in _STRUCK:
        text = pattern.sub(" ", text)
    known = FILLER | DATE_WORDS | INTENT_WORDS.get(intent, set())
    words = []
    for token in (part for t in _TOKENS.findall(text) for part in re.split(r"-(?!up\b|on-)", t) if part):
        word = token.lower().replace("’", "'").strip(".'")
        base = re.sub(r"'s$", "", word)
        if word and word not in known and base not in known:
            words.append(token)
    return words


# the words a slip of the keyboard is corrected to: the ones that choose what a goal does.
# Everyday words ("least", "last") are never targets, so "at least" stays "at least".
KEYWORDS = {
    "invoice", "invoices", "invoicing", "remind", "reminder", "reminders", "overdue", "unpaid",
    "outstanding", "calendar", "schedule", "meeting", "meetings", "reschedule", "cancel",
    "contact", "contacts", "deals", "pipeline", "chase", "agenda", "payment", "payments",
    "tomorrow", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "september", "october", "november", "december", "minutes",
    "hours", "unbilled", "negotiation", "workshop", "review",
}


def vocabulary() -> tuple[set[str], set[str]]:
    """(words the planner knows, words a misspelling may be corrected to)."""
    words = FILLER | DATE_WORDS | DESTRUCTIVE_WORDS
    for extra in INTENT_WORDS.values():
        words |= extra
    return {w for w in words if w.isalpha()}, KEYWORDS
