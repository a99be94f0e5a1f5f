"""Which kind of goal this is. Order matters: the more specific patterns are tried first
("send reminders" is chasing, not invoicing; "find a free slot" is booking, not a CRM
lookup; "how many hours did we log" is a report, not logging time)."""

from __future__ import annotations

import re
from enum import StrEnum

from bot.lazy_re import LazyPattern, lazy


class Intent(StrEnum):
    CRM_UPDATE = "crm_update"
    CREATE_CONTACT = "create_contact"
    CHASE = "chase"
    TIME_REPORT = "time_report"
    UNBILLED = "unbilled"
    LOG_TIME = "log_time"
    INVOICE = "invoice"
    LIST_INVOICES = "list_invoices"
    LIST_DEALS = "list_deals"
    MOVE_EVENT = "move_event"
    CANCEL_EVENT = "cancel_event"
    CALENDAR = "calendar"
    BOOK = "book"
    CRM_LOOKUP = "crm_lookup"


_POLITE = r"^\s*(?:please\s+|can you\s+|could you\s+|would you\s+|i want to\s+|let's\s+)?"
# words that name a calendar entry rather than a deal, a contact or an invoice
EVENT_WORDS = (r"meeting|call|event|sync|review|retro|standup|stand-up|workshop|check-in|lunch|"
               r"planning|1:1|appointment|session|demo|interview|\d{1,2}(?::\d{2})?\s*(?:am|pm)|noon")

_RULES: tuple[tuple[Intent, LazyPattern], ...] = (
    (Intent.CRM_UPDATE, lazy(
        _POLITE + r"(?:update|set|change)\b.+\b(?:phone|mobile|title|role|email|name)\b.*(?:\bto\b|=|:|\bis\b)"
        r"|" + _POLITE + r"(?:move|set|mark|change|update|close)\b.+\bdeal\b.*\b(?:to|as|stage)\b"
        r"|" + _POLITE + r"(?:add|put|leave|write|log)\b.*\bnote\b", re.I)),
    (Intent.CREATE_CONTACT, lazy(
        _POLITE + r"(?:add|create|new|make|save)\b.*\bcontacts?\b"
        r"|" + _POLITE + r"add\b.*\b(?:to|in|into)\s+the\s+crm\b", re.I)),
    (Intent.CHASE, lazy(
        r"\b(?:chase|remind|reminders?|nudge|follow[- ]up)\b", re.I)),
    (Intent.TIME_REPORT, lazy(
        r"\bhow (?:many hours|much time)\b|\bhours (?:per|by|for each) client\b|\btime report\b"
        r"|\bhours (?:logged|worked|tracked|spent)\b|\b(?:logged|worked|tracked) hours\b", re.I)),
    (Intent.UNBILLED, lazy(r"\bunbilled\b|\bnot (?:yet )?(?:billed|invoiced)\b", re.I)),
    (Intent.LOG_TIME, lazy(
        _POLITE + r"(?:log|track|record)\b.*\b(?:\d+(?:\.\d+)?\s*(?:h|hrs?|hours?|m|mins?|minutes?)"
        r"|an? hour|half an hour|time)\b"
        r"|^\s*i\s+(?:spent|worked|did)\b.*\b(?:on|for)\b", re.I)),
    (Intent.LIST_INVOICES, lazy(
        r"^\s*(?:please\s+)?(?:list|show|what|which|who|how many|how much|display|get)\b.*"
        r"\b(?:invoices?|overdue|unpaid|outstanding|owes?|paid)\b", re.I)),
    (Intent.INVOICE, lazy(
        _POLITE + r"(?:invoice|bill)\b"
        r"|\b(?:send|create|draft|prepare|raise|issue|generate|do|run)(?:\s+out)?\s+(?:[\w'-]+\s+){0,3}?"
        r"(?:invoices?|bills|billing|invoicing)\b", re.I)),
    (Intent.LIST_INVOICES, lazy(
        r"\boverdue\b|\bunpaid\b|\boutstanding\b|\bowes?\b|\blate payments?\b|\binvoices?\b"
        r"|\b(?:hasn't|hasnt|haven't|not) (?:yet )?paid\b", re.I)),
    (Intent.MOVE_EVENT, lazy(
        _POLITE + r"(?:move|push|reschedule|shift|postpone|bring forward|pull forward)\b", re.I)),
    (Intent.CANCEL_EVENT, lazy(
        _POLITE + r"(?:cancel|call off|scrap)\b"
        r"|" + _POLITE + r"(?:delete|remove|drop)\b.*\b(?:" + EVENT_WORDS + r")\b", re.I)),
    (Intent.LIST_DEALS, lazy(r"\bdeals\b|\bpipeline\b", re.I)),
    (Intent.CALENDAR, lazy(
        r"\bcalendar\b|\bagenda\b|\bdiary\b|\bschedule\s+(?:for|on|today|tomorrow|this|next)\b"
        r"|\b(?:today|tomorrow)'s\s+schedule\b|^\s*(?:my\s+)?(?:meetings|events)\b"
        r"|\b(?:list|show|what are|what)\b.*\b(?:events|meetings)\b(?!.*\bwith\b.*\b(?:book|schedule)\b)"
        r"|\bwhat(?:'s| is| do i have)\b.*\b(?:on|have)\b.*"
        r"\b(?:today|tomorrow|week|monday|tuesday|wednesday|thursday|friday)\b"
        r"|\bam i (?:free|busy)\b", re.I)),
    (Intent.BOOK, lazy(
        r"\b\d+\s*(?:min|mins|minutes|h|hours?)\s+with\b|\b(?:get|grab)\b.*\bwith\b.*\b(?:today|tomorrow|next|this|on)\b"
        r"|\b(?:book|schedule|set up|arrange|organi[sz]e|plan|meet|meeting|call|sync|catch[- ]up"
        r"|1:1|one-on-one|free slot|slot|invite|find (?:a |some )?time|together"
        r"|put (?:something|some time|time|a slot) in)\b", re.I)),
    # an update the specific patterns did not read: planned as a question about what to change
    (Intent.CRM_UPDATE, lazy(
        r"^\s*(?:please\s+)?(?:update|change|edit|modify|set)\b.*\b(?:crm|contact|deal|company|note|record)",
        re.I)),
    (Intent.CRM_LOOKUP, lazy(
        r"\b(?:look ?up|who is|who's|find|search|show|get|pull up|tell me about|details"
        r"|what do we know|contact|company|deal)\b", re.I)),
)


def classify(goal: str) -> Intent | None:
    for intent, pattern in _RULES:
        if pattern.search(goal):
            return intent
    return None
