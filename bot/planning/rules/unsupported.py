"""Wording the offline rules cannot plan, answered honestly before any pattern is tried.

Each of these used to be planned as something else, because its words count as used
("first", "every", "end" and numbers are date words to the coverage check):

- a number of things picked from a list ("the first 3 clients") was planned for all of them;
- a repeat ("every Monday") was booked once;
- days it cannot count ("next Friday but one", "a week from Monday", "end of month", "the
  last day of the month") were read as another day, or as now;
- a length of time that is none ("0 minutes", "-3 hours") became 30 minutes or 3 hours;
- invoices of a period ("chase overdue invoices from last month", "list invoices for
  October") were every invoice, whatever its date: ``list_invoices`` has no date filter.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.lazy_re import lazy
from bot.planning.rules.when import NUMBER_WORDS, find_day, find_period, find_week

_NUM = r"(?:\d+|" + "|".join(NUMBER_WORDS) + r"|a\s+few|a\s+couple(?:\s+of)?)"
_THINGS = r"(?:clients?|customers?|invoices?|deals?|meetings?|events?|contacts?|companies|people|payers?)"
_UNITS = r"(?:days?|weeks?|months?|years?|quarters?|hours?|hrs?|minutes?|mins?)"
_QUANTITY = lazy(
    rf"\b(?:first|top|last|oldest|newest|latest|biggest|largest|smallest)\s+{_NUM}\b(?!\s+{_UNITS}\b)"
    rf"|\b{_NUM}\s+(?:oldest|newest|latest|biggest|largest|smallest|first)\b"
    rf"|\b(?:half|most|a\s+few|a\s+couple|some)\s+(?:of\s+)?(?:the\s+|our\s+|my\s+)?{_THINGS}\b", re.I)
_WEEKDAY = r"(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?)"
_REPEAT = lazy(
    rf"\b(?:every|each)\s+(?:other\s+|single\s+)?(?:{_WEEKDAY}|day|weekday|week|month|morning|afternoon|evening|year)\b"
    rf"|\b(?:recurring|repeating|repeatedly)\b|\bon\s+(?:mon|tues|wednes|thurs|fri|satur|sun)days\b", re.I)
_UNREAD_DAYS = lazy(
    r"\bbut\s+one\b|\b(?:a|one|two|three|\d+)\s+(?:weeks?|days?)\s+(?:from|after|on)\s+(?!now\b|today\b)\w+"
    r"|\b(?:the\s+)?(?:end|start|beginning|middle|mid)\s+of\s+(?:the\s+|this\s+|next\s+|last\s+)?(?:month|week|year|quarter)\b"
    r"|\b(?:end|start|mid)[- ](?:month|week|year)\b|\beo[mwy]\b"
    r"|\b(?:the\s+)?(?:last|first|final)\s+(?:\w+day|day|week)\s+of\b", re.I)
_NO_LENGTH = lazy(
    r"(?<![\w.])(?:-\s*\d+(?:\.\d+)?|0+(?:\.0+)?)\s*(?:hours?|hrs?|h|minutes?|mins?|m)\b", re.I)
# phrases the rules read as one day, whose words are then accounted for
KNOWN_DAYS = lazy(r"\b(?:the\s+)?day\s+(?:after\s+tomorrow|before\s+yesterday)\b", re.I)


def refusal(text: str) -> str | None:
    """An honest answer for wording the rules would otherwise plan as something else."""
    found = _QUANTITY.search(text)
    if found:
        return (f"I can't pick \u201c{found.group(0)}\u201d out of a list without Claude. Name them "
                "(\u201cremind Acme and Globex\u201d) or ask for all of them.")
    found = _REPEAT.search(text)
    if found:
        return (f"I can't plan something that repeats (\u201c{found.group(0)}\u201d) without Claude. "
                "I can do it once: say which day.")
    found = _UNREAD_DAYS.search(text)
    if found:
        return (f"I can't tell which day \u201c{found.group(0)}\u201d is without Claude. "
                "Please write the day (\u201cFriday 11 December\u201d, \u201c30 November\u201d).")
    found = _NO_LENGTH.search(text)
    if found:
        return (f"\u201c{found.group(0)}\u201d is not a length of time. How long should it be? "
                "Write it again with the length, e.g. \u201c30 minutes\u201d.")
    return None


def undated_invoices(text: str, now: datetime, timezone: str) -> str | None:
    """An honest answer when a goal about existing invoices names a period or a day (other
    than today): the invoice list cannot be narrowed by date, so the plan would ignore it."""
    today = now.date()
    day = find_day(text, now, timezone)
    span = find_period(text, today) or find_week(text, today)
    named = span.label if span else day.label if day and day.day != today else None
    if named is None:
        return None
    return (f"I can't pick invoices by date (\u201c{named}\u201d) without Claude: the plan would take "
            "every invoice, whatever its date. Ask without the date, or by client, lateness "
            "(\u201cmore than 30 days late\u201d) or amount (\u201cover $5,000\u201d).")
