"""What a goal and its thread say: people, clients, day, time, duration, period, topic.

The original goal is read first; each later human message of the thread that states one of
these facts overrides it ("make it Thursday instead", "30 minutes is enough", "add Carol",
"only Acme"), so the rules planner re-plans a thread without remembering anything itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import when
from bot.planning.rules.who import AmbiguousName, Who, find_clients, find_people, unknown_invitees

_ADD = lazy(r"\b(?:add|also|plus|include|invite|bring|too|as well)\b", re.I)
_REMOVE = lazy(r"\b(?:without|drop|remove|exclude|minus|skip|uninvite|leave out|not|except|but not)\b", re.I)
_ONLY = lazy(r"\b(?:only|just)\b", re.I)
_NO_SEND = lazy(r"\b(?:don'?t|do not|without|no need to)\s+send(?:ing)?\b|\bdrafts?\s+only\b|\bjust\s+(?:the\s+)?drafts?\b", re.I)
_SEND = lazy(r"\bsend\s+(?:them|it|those)\b|\band\s+send\b|\bsend\s+(?:them\s+)?(?:too|as well)\b", re.I)
_TOPIC = lazy(
    r"\b(?:about|re:?|regarding|to discuss|to talk about)\s+(.+?)"
    r"(?=\s+(?:on|at|next|this|tomorrow|today|with|for|in)\b|[.?!,;]|$)",
    re.I,
)
# authors whose messages are Deputy's own (its plan cards name dates and people too)
BOT_AUTHORS = ("deputy", "bot", "assistant")


@dataclass
class Facts:
    people: list[Who] = field(default_factory=list)
    ambiguous: list[AmbiguousName] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    day: when.Day | None = None
    week: when.Span | None = None
    clock: time | None = None
    part_of_day: str | None = None
    duration: int | None = None
    period: when.Span | None = None
    topic: str | None = None
    send: bool | None = None
    # the question a day or time that cannot be one asks ("February 30", "25:00"), until a
    # later message of the thread names another
    impossible: str | None = None


def read_message(text: str, context: PlanningContext) -> Facts:
    """The facts one message states, nothing inferred."""
    # the requester's wall clock decides what "today" and "Friday" mean
    now = context.now.astimezone(ZoneInfo(context.timezone))
    people, ambiguous = find_people(text, context.people)
    people += unknown_invitees(text, people)
    topic = _TOPIC.search(text)
    send: bool | None = None
    if _NO_SEND.search(text):
        send = False
    elif _SEND.search(text):
        send = True
    return Facts(
        people=people,
        ambiguous=ambiguous,
        clients=find_clients(text, context.clients),
        day=when.find_day(text, now, context.timezone),
        week=when.find_week(text, now.date()),
        clock=when.find_clock(text),
        part_of_day=when.find_part_of_day(text),
        duration=when.find_duration(text),
        period=when.find_period(text, now.date()),
        topic=topic.group(1).strip() if topic else None,
        send=send,
        impossible=when.impossible_moment(text, now.date()),
    )


def sending_phrases(text: str) -> list[str]:
    """The words that said whether to send ("don't send them"), for the coverage check."""
    return [m.group(0) for pattern in (_NO_SEND, _SEND) for m in pattern.finditer(text)]


def _merge_names(old: list[Who], new: list[Who], text: str) -> list[Who]:
    if not new:
        return old
    new_names = {w.name for w in new}
    if _REMOVE.search(text):
        return [w for w in old if w.name not in new_names]
    if _ADD.search(text) and not _ONLY.search(text):
        return old + [w for w in new if w.name not in {o.name for o in old}]
    return new


def _merge_clients(old: list[str], new: list[str], text: str) -> list[str]:
    if not new:
        return old
    if _REMOVE.search(text):
        return [c for c in old if c not in new]
    if _ADD.search(text) and not _ONLY.search(text):
        return old + [c for c in new if c not in old]
    return new


def apply_follow_up(facts: Facts, text: str, context: PlanningContext) -> Facts:
    """``facts`` updated by a later message of the thread."""
    said = read_message(text, context)
    merged = replace(
        facts,
        people=_merge_names(facts.people, said.people, text),
        ambiguous=said.ambiguous if said.people or said.ambiguous else facts.ambiguous,
        clients=_merge_clients(facts.clients, said.clients, text),
        duration=said.duration or facts.duration,
        period=said.period or facts.period,
        topic=said.topic or facts.topic,
        send=facts.send if said.send is None else said.send,
        impossible=said.impossible or (
            None if said.day or said.week or said.clock or said.part_of_day or said.period else facts.impossible),
    )
    if said.day or said.week:
        merged.day, merged.week = _same_week(facts.day, said.day, text, context), said.week
    if said.clock:
        merged.clock, merged.part_of_day = said.clock, None
    elif said.part_of_day:
        merged.clock, merged.part_of_day = None, said.part_of_day
    return merged


_BARE_WEEKDAY = lazy(r"(?<!next )(?<!this )(?<!coming )\b(" + "|".join(when.WEEKDAYS) + r")\b", re.I)


def _same_week(before: when.Day | None, said: when.Day | None, text: str,
               context: PlanningContext) -> when.Day | None:
    """"make it Thursday instead" after "next Tuesday" is the Thursday of that same week."""
    if before is None or said is None or not _BARE_WEEKDAY.search(text):
        return said
    target = when.WEEKDAYS.index(_BARE_WEEKDAY.search(text).group(1).lower())  # type: ignore[union-attr]
    day = before.day + timedelta(days=target - before.day.weekday())
    today = context.now.astimezone(ZoneInfo(context.timezone)).date()
    return when.Day(day, when.day_label(day)) if day >= today else said


def is_from_deputy(author: str) -> bool:
    return author.strip().lower().startswith(BOT_AUTHORS)


def read_thread(goal: str, context: PlanningContext) -> Facts:
    facts = read_message(goal, context)
    for author, text in context.history:
        if not is_from_deputy(author):
            facts = apply_follow_up(facts, text, context)
    return facts
