"""Reads the schedule and target out of a goal such as "every Monday at 9 post the overdue
invoices to #finance", leaving the part a planner plans ("post the overdue invoices").

Deliberately small and strict: a phrase it does not recognise is left in the goal, so a
goal without a clear schedule is planned as a normal one-off goal, never as a monitor
that fires at a guessed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.lazy_re import LazyPattern, lazy
from bot.scheduling.model import PostWhen, Schedule

WEEKDAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
            "friday": "fri", "saturday": "sat", "sunday": "sun"}
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?\b"
# "9", "9am", "9:30", "09.30 pm", "noon"
_TIME = r"(?:noon|midnight|\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?)"
_AT = rf"(?:\s+at\s+(?P<time>{_TIME}))"
PART_OF_DAY = {"morning": 8, "evening": 18, "afternoon": 14, "night": 21}

_PATTERNS: tuple[tuple[str, LazyPattern], ...] = (
    ("interval", lazy(
        r"\bevery\s+(?P<n>\d+)\s*(?P<unit>minutes?|mins?|hours?|hrs?|h)\b", re.I)),
    ("interval1", lazy(r"\b(?:every\s+(?P<unit>hour|minute)|(?P<ly>hourly))\b", re.I)),
    ("weekdays", lazy(rf"\b(?:every\s+|on\s+)?(?:weekdays?|working\s+days?|business\s+days?){_AT}", re.I)),
    ("weekly", lazy(
        rf"\b(?:every|each)\s+(?P<days>{_DAY}(?:\s*(?:,|and|&)\s*{_DAY})*){_AT}?", re.I)),
    ("part", lazy(
        rf"\b(?:every|each)\s+(?P<part>morning|evening|afternoon|night){_AT}?", re.I)),
    ("daily", lazy(rf"\b(?:daily|every\s+day|each\s+day){_AT}", re.I)),
)
_TARGET = lazy(
    r"\s*\b(?:to|in|into|on)\s+(?P<channel><#(?P<cid>[A-Z0-9]+)(?:\|[^>]*)?>|#(?P<name>[\w.-]+))"
    r"|\s*\b(?P<here>(?:right\s+)?here|in\s+this\s+channel)\b", re.I)
_CONDITION = (
    (PostWhen.CHANGED, lazy(r"\s*\b(?:only\s+)?(?:when|if)\s+(?:anything|something|it)\s+changes\b", re.I)),
    (PostWhen.ALWAYS, lazy(r"\s*\b(?:even\s+(?:when|if)\s+(?:there(?:'s| is)\s+)?nothing|always)\b", re.I)),
)


@dataclass(frozen=True)
class ScheduledGoal:
    schedule: Schedule
    remainder: str  # the goal with the schedule, target and condition taken out
    channel: str | None  # a channel id or name; None means "here"
    condition: PostWhen
    phrase: str  # the words read as the schedule, for messages


def _clock(text: str | None, default_hour: int | None) -> tuple[int, int] | None:
    if text is None:
        return (default_hour, 0) if default_hour is not None else None
    word = text.lower().replace(".", "").replace(" ", "")
    if word == "noon":
        return 12, 0
    if word == "midnight":
        return 0, 0
    match = re.fullmatch(r"(\d{1,2})(?:[:](\d{2})|(\d{2}))?(am|pm)?", text.lower().replace(" ", "")
                         .replace("a.m.", "am").replace("p.m.", "pm").replace(".", ":"))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
    if match.group(4) == "pm" and hour < 12:
        hour += 12
    elif match.group(4) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _day(word: str) -> str:
    word = word.lower().rstrip("s") if len(word) > 3 else word.lower()
    for full, short in WEEKDAYS.items():
        if full.startswith(word[:3]):
            return short
    raise ValueError(word)


def _schedule(kind: str, match: re.Match[str]) -> Schedule | None:
    groups = match.groupdict()
    if kind == "interval":
        n = int(groups["n"])
        seconds = n * (3600 if groups["unit"].lower().startswith("h") else 60)
        return Schedule.every(seconds) if n > 0 and seconds >= 60 else None
    if kind == "interval1":
        return Schedule.every(60 if (groups["unit"] or "").lower() == "minute" else 3600)
    default = PART_OF_DAY.get((groups.get("part") or "").lower())
    at = _clock(groups.get("time"), default)
    if at is None:
        return None
    hour, minute = at
    if kind == "weekdays":
        return Schedule.at(day_of_week="mon-fri", hour=hour, minute=minute)
    if kind == "weekly":
        days = [_day(d) for d in re.findall(_DAY, groups["days"], re.I)]
        return Schedule.at(day_of_week=",".join(dict.fromkeys(days)), hour=hour, minute=minute)
    return Schedule.at(hour=hour, minute=minute)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[:match.start()] + " " + text[match.end():]


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" ,.;:")
    return re.sub(r"^(?:and|then)\s+", "", text, flags=re.I)


def find_schedule(goal: str) -> ScheduledGoal | None:
    """The schedule the goal asks for, or None when it names none (a one-off goal)."""
    for kind, pattern in _PATTERNS:
        match = pattern.search(goal)
        if match is None:
            continue
        schedule = _schedule(kind, match)
        if schedule is None:
            continue
        rest = _cut(goal, match)
        channel: str | None = None
        target = _TARGET.search(rest)
        if target is not None:
            if not target.group("here"):
                channel = target.group("cid") or target.group("name")
            rest = _cut(rest, target)
        condition = PostWhen.NON_EMPTY
        for candidate, words in _CONDITION:
            found = words.search(rest)
            if found is not None:
                condition, rest = candidate, _cut(rest, found)
                break
        return ScheduledGoal(schedule=schedule, remainder=_tidy(rest), channel=channel,
                             condition=condition, phrase=match.group(0).strip())
    return None


def describe(schedule: Schedule) -> str:
    """"every Monday at 09:00", "weekdays at 08:00", "every 2 h", for cards and listings."""
    if schedule.kind == "interval":
        return schedule.describe()
    cron = schedule.cron
    if set(cron) - {"day_of_week", "hour", "minute"} or not (cron.get("hour", "").isdigit()
                                                          and cron.get("minute", "0").isdigit()):
        return schedule.describe()
    at = f"{int(cron['hour']):02d}:{int(cron.get('minute', '0')):02d}"
    days = cron.get("day_of_week")
    if days is None:
        return f"every day at {at}"
    if days == "mon-fri":
        return f"weekdays at {at}"
    names = {short: full.capitalize() for full, short in WEEKDAYS.items()}
    return "every " + " and ".join(names.get(d, d) for d in days.split(",")) + f" at {at}"
