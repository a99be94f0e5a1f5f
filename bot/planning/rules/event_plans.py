"""Moving and cancelling an event described by its title or its time ("push my 11am on
Friday to noon", "call off the design review"). The plan first finds the one event meant
(a read that fails, naming the candidates, when none or several fit), then changes it."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain import Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import when
from bot.planning.rules.attendees import ref

_VERB = lazy(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?(?:move|push|reschedule|shift|postpone|bring forward"
    r"|pull forward|cancel|call off|scrap|delete|remove|drop)\s+(?:back\s+)?", re.I)
_TIMEWORDS = lazy(
    r"\b(?:today|tomorrow)(?:'s|\u2019s)\b|\b(?:on|at|for|this|next|coming|today|tomorrow|tonight|day after tomorrow|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|morning|afternoon|noon|midday)\b"
    r"|\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?\b|\b(?:today|tomorrow)'s\b", re.I)
_GENERIC = {"", "meeting", "event", "call", "appointment", "it", "that", "this", "thing", "session", "one"}


def _title(words: str) -> str:
    text = re.sub(r"^(?:my|the|our|this|that)\s+", "", words.strip(), flags=re.I)
    text = _TIMEWORDS.sub(" ", text)
    text = re.sub(r"\b(?:my|the|our)\b", " ", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip(" ,.?!'")


def _source(words: str, context: PlanningContext) -> tuple[dict[str, object], str] | Clarification:
    """find_event arguments for the event described by ``words``, and how to name it."""
    tz = ZoneInfo(context.timezone)
    now = context.now.astimezone(tz)
    day = when.find_day(words, now, context.timezone)
    clock = when.find_clock(words)
    title = _title(words)
    args: dict[str, object] = {}
    if title.lower() not in _GENERIC:
        args["title"] = title
    if clock is not None:
        base = day.day if day else now.date()
        start = datetime.combine(base, clock, tz)
        if day is None and start <= now:
            start += timedelta(days=1)
        args["start"] = start.isoformat()
    elif day is not None:
        args["start"] = datetime.combine(day.day, time(0), tz).isoformat()
        args["end"] = datetime.combine(day.day + timedelta(days=1), time(0), tz).isoformat()
    if "title" not in args and clock is None:
        return Clarification(question="Which event do you mean? Name it by its title or its time "
                                      "(\u201cthe design review\u201d, \u201cmy 2pm tomorrow\u201d).")
    name = f"\u201c{args['title']}\u201d" if "title" in args else "the event"
    if clock is not None:
        name += f" at {clock:%H:%M}"
    if day is not None:
        name += f" {day.label if not day.label[:1].isupper() else 'on ' + day.label}"
    return args, name


def plan_cancel(goal: str, context: PlanningContext) -> PlanningOutcome:
    found = _source(_VERB.sub("", goal), context)
    if isinstance(found, Clarification):
        return found
    args, name = found
    return PlanDraft(summary=f"Cancel {name}", steps=[
        Step(id="s1", action="local.find_event", args=args, note=f"Find {name}"),
        Step(id="s2", action="local.cancel_event", args={"event_id": ref("s1.id")},
             note="Cancel it and tell its attendees"),
    ])


def plan_move(goal: str, context: PlanningContext) -> PlanningOutcome:
    rest = _VERB.sub("", goal)
    split = list(re.finditer(r"\s+(?:to|until|till)\s+", rest, re.I))
    if not split:
        return Clarification(question="When should it move to? For example \u201cmove the design review to 3pm\u201d.")
    source_words, target_words = rest[: split[-1].start()], rest[split[-1].end():]
    found = _source(source_words, context)
    if isinstance(found, Clarification):
        return found
    args, name = found
    tz = ZoneInfo(context.timezone)
    now = context.now.astimezone(tz)
    new_day = when.find_day(target_words, now, context.timezone)
    new_clock = when.find_clock(target_words)
    source_day = when.find_day(source_words, now, context.timezone)
    if new_clock is None:
        return Clarification(question=f"What time should {name} move to?")
    move: dict[str, object] = {"event_id": ref("s1.id")}
    day = new_day.day if new_day else source_day.day if source_day else None
    if day is not None:
        start = datetime.combine(day, new_clock, tz)
        if start <= now:
            return Clarification(question=f"{start:%A %d %B at %H:%M} has already passed. When should it be instead?")
        move["start"] = start.isoformat()
        target = f"{when.day_label(day)} at {new_clock:%H:%M}"
    else:
        move["at"] = f"{new_clock:%H:%M}"
        target = f"{new_clock:%H:%M} the same day"
    return PlanDraft(summary=f"Move {name} to {target}", steps=[
        Step(id="s1", action="local.find_event", args=args, note=f"Find {name}"),
        Step(id="s2", action="local.move_event", args=move,
             note=f"Move it to {target}, keeping its length, and tell its attendees"),
    ])
