"""Dates, times, durations and billing periods written in everyday English.

Our own regexes find the phrase; dateparser turns explicit calendar dates ("12 December",
"3rd of January", "in two weeks") into dates relative to the requester's "now", so a goal
always means the same thing for the same clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.lazy_re import lazy

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_NUMBER_RE = r"\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS)

# working hours of the local calendar are 09:00-17:00; parts of the day stay inside them
PARTS_OF_DAY = {"morning": (time(9), time(12)), "lunchtime": (time(12), time(14)),
                "afternoon": (time(12), time(17)), "end of the day": (time(15), time(17))}


@dataclass(frozen=True)
class Day:
    day: date
    label: str  # how the summary names it: "Tuesday 1 December"


@dataclass(frozen=True)
class Span:
    """Inclusive range of dates: a billing period or a calendar window."""

    start: date
    end: date
    label: str


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _number(word: str) -> float:
    return NUMBER_WORDS[word] if word in NUMBER_WORDS else float(word)


def _dateparser(text: str, now: datetime, timezone: str) -> datetime | None:
    import dateparser  # here, not at the top: it is slow to import and most goals need none

    settings: Any = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": timezone,
        "TO_TIMEZONE": timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    return dateparser.parse(text, languages=["en"], settings=settings)


_EXPLICIT_DATES = (
    lazy(r"\b\d{4}-\d{2}-\d{2}\b"),
    lazy(rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTH_RE})\b\.?(?:,?\s+\d{{4}})?", re.I),
    lazy(rf"\b(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?", re.I),
    lazy(rf"\bin\s+(?:{_NUMBER_RE})\s+(?:days?|weeks?)\b", re.I),
)


_DAY_MONTH = lazy(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({_MONTH_RE})\b", re.I)
_MONTH_DAY = lazy(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
_ISO_DAY = lazy(r"\b\d{4}-(\d{2})-(\d{2})\b")
_SLASHED = lazy(r"(?<![\d/])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/])")
_CLOCK = lazy(r"\b(\d{1,2}):(\d{2})\b|\b(\d{1,2})\s*(?:am|pm|a\.m\.|p\.m\.)", re.I)


def _no_such_day(month: int, day: int) -> bool:
    # 29 February exists (in a leap year); a year written after it is checked by dateparser
    return not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2028, month)[1]


_YEAR_AFTER = lazy(r"\A,?\s*\d{4}\b")


def _no_29_february(month: int, day: int, text: str, end: int, today: date | None) -> int | None:
    """The coming February's year when the goal names 29 February with no year and that
    February has no 29th (the day would otherwise land in a leap year up to four years away)."""
    if (month, day) != (2, 29) or today is None or _YEAR_AFTER.search(text[end:]):
        return None
    year = today.year if today.month <= 2 else today.year + 1
    return None if calendar.isleap(year) else year


def impossible_moment(text: str, today: date | None = None) -> str | None:
    """The question to ask when the goal names a day or a time that cannot be read as one
    ("February 30", "2026-13-01", "25:00", "13pm"), 29 February in a year without one (from
    ``today``, unless a year is written), or a day written in figures ("12/10": 12 October or
    10 December?), rather than plan it without them; None when there is none."""
    for found, month, day in (
        *((f, MONTHS[f.group(2).lower()], int(f.group(1))) for f in _DAY_MONTH.finditer(text)),
        *((f, MONTHS[f.group(1).lower()], int(f.group(2))) for f in _MONTH_DAY.finditer(text)),
    ):
        if _no_such_day(month, day):
            return f"There is no \u201c{found.group(0)}\u201d on the calendar. Which day do you mean?"
        year = _no_29_february(month, day, text, found.end(), today)
        if year is not None:
            return (f"There is no 29 February in {year}. Which day do you mean (for instance "
                    f"28 February or 1 March {year}, or 29 February {year + 4 - year % 4})?")
    for found in _ISO_DAY.finditer(text):
        if _no_such_day(int(found.group(1)), int(found.group(2))):
            return f"There is no \u201c{found.group(0)}\u201d on the calendar. Which day do you mean?"
    slashed = _SLASHED.search(text)
    if slashed:
        return (f"Which day is \u201c{slashed.group(0)}\u201d? Please write the month in words, "
                "e.g. \u201c12 October\u201d or \u201cOctober 12\u201d.")
    for found in _CLOCK.finditer(text):
        hour = int(found.group(1) or found.group(3))
        if (found.group(1) and (hour > 23 or int(found.group(2)) > 59)) or (found.group(3) and not 1 <= hour <= 12):
            return f"\u201c{found.group(0)}\u201d is not a time of day. What time do you mean?"
    return None


def find_day(text: str, now: datetime, timezone: str) -> Day | None:
    """The single day a goal is about, or None."""
    low = text.lower()
    today = now.date()
    if re.search(r"\bday after tomorrow\b", low):
        return Day(today + timedelta(days=2), day_label(today + timedelta(days=2)))
    if re.search(r"\bday before yesterday\b", low):
        return Day(today - timedelta(days=2), day_label(today - timedelta(days=2)))
    if re.search(r"\byesterday\b", low):
        return Day(today - timedelta(days=1), f"yesterday ({day_label(today - timedelta(days=1))})")
    if re.search(r"\btomorrow\b", low):
        return Day(today + timedelta(days=1), f"tomorrow ({day_label(today + timedelta(days=1))})")
    if re.search(r"\b(?:today|tonight|this (?:morning|afternoon))\b", low):
        return Day(today, "today")
    for pattern in _EXPLICIT_DATES:
        found = pattern.search(text)
        if found:
            parsed = _dateparser(found.group(0), now, timezone)
            if parsed is not None:
                return Day(parsed.date(), day_label(parsed.date()))
    weekday = re.search(r"\b(?:(next|this|coming|on)\s+)?(" + "|".join(WEEKDAYS) + r")\b", low)
    if weekday:
        target = WEEKDAYS.index(weekday.group(2))
        ahead = (target - today.weekday()) % 7 or 7
        if weekday.group(1) == "next":
            # "next Friday" on a Wednesday is the Friday of next week, not the day after tomorrow
            monday_next_week = today + timedelta(days=7 - today.weekday())
            day = monday_next_week + timedelta(days=target)
        else:
            day = today + timedelta(days=ahead)
        return Day(day, day_label(day))
    return None


def find_week(text: str, today: date) -> Span | None:
    """'this week' / 'next week' as a Monday-Sunday range."""
    found = re.search(r"\b(this|next|coming)\s+week\b", text.lower())
    if not found:
        return None
    monday = today - timedelta(days=today.weekday())
    if found.group(1) != "this":
        monday += timedelta(days=7)
    return Span(monday, monday + timedelta(days=6), f"{found.group(1)} week")


def find_clock(text: str) -> time | None:
    """A time of day: '10am', '3 pm', '14:30', '10.30am', 'noon', 'at 3'."""
    low = text.lower()
    found = re.search(r"\b(\d{1,2})[:.](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?", low)
    if found and (":" in found.group(0) or found.group(3)):
        return _clock(int(found.group(1)), int(found.group(2)), found.group(3))
    found = re.search(r"\b(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)", low)
    if found:
        return _clock(int(found.group(1)), 0, found.group(2))
    if re.search(r"\b(?:noon|midday)\b", low):
        return time(12)
    found = re.search(rf"\bat\s+(\d{{1,2}})\b(?!\s*(?:st|nd|rd|th|%|[.:,]?\d|{_MONTH_RE})\b)", low)
    if found:
        hour = int(found.group(1))
        # "at 3" in a working context means the afternoon
        return _clock(hour + 12 if 1 <= hour <= 7 else hour, 0, None)
    return None


def _clock(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem and meridiem.startswith("p") and hour < 12:
        hour += 12
    elif meridiem and meridiem.startswith("a") and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def find_part_of_day(text: str) -> str | None:
    low = text.lower()
    if re.search(r"\b(?:end of (?:the )?day|late afternoon)\b", low):
        return "end of the day"
    found = re.search(r"\b(morning|afternoon|lunchtime|lunch)\b", low)
    if not found:
        return None
    return "lunchtime" if found.group(1) == "lunch" else found.group(1)


def find_duration(text: str) -> int | None:
    """Minutes: '45 minutes', '1h', '1h30', 'an hour and a half', 'half an hour', '90-minute'."""
    low = text.lower()
    if re.search(r"\b(?:an?|one)\s+hour\s+and\s+a\s+half\b", low):
        return 90
    if re.search(r"\bhalf\s+an?\s+hour\b|\bhalf-hour\b", low):
        return 30
    if re.search(r"\bquarter\s+of\s+an\s+hour\b", low):
        return 15
    found = re.search(r"\b(\d+)\s*h\s*(\d{2})\b", low)
    if found:
        return int(found.group(1)) * 60 + int(found.group(2))
    found = re.search(
        rf"\b({_NUMBER_RE})\s*-?\s*(?:h|hrs?|hours?)\b(?:\s*(?:and\s+)?(\d+)\s*(?:m|mins?|minutes?)\b)?",
        low,
    )
    if found:
        return round(_number(found.group(1)) * 60) + int(found.group(2) or 0)
    found = re.search(rf"\b({_NUMBER_RE})\s*-?\s*(?:m|mins?|minutes?)\b", low)
    if found:
        return round(_number(found.group(1)))
    return None


def _month_span(year: int, month: int) -> Span:
    last = calendar.monthrange(year, month)[1]
    return Span(date(year, month, 1), date(year, month, last), f"{calendar.month_name[month]} {year}")


def find_period(text: str, today: date) -> Span | None:
    """A billing period. A month without a year is its most recent occurrence that is not in
    the future: 'March' in November is this March, 'December' in November is last December."""
    low = text.lower()
    if re.search(r"\b(?:last|previous|past)\s+month\b", low):
        first = today.replace(day=1) - timedelta(days=1)
        return _month_span(first.year, first.month)
    if re.search(r"\bthis\s+month\b", low):
        return _month_span(today.year, today.month)
    recent = re.search(rf"\b(?:the\s+)?(?:past|last|previous)\s+({_NUMBER_RE})\s+(days?|weeks?)\b", low)
    if recent:
        days = round(_number(recent.group(1)) * (7 if recent.group(2).startswith("week") else 1))
        return Span(today - timedelta(days=days), today, f"the past {recent.group(1)} {recent.group(2)}")
    if re.search(r"\b(?:last|previous)\s+week\b", low):
        monday = today - timedelta(days=today.weekday() + 7)
        return Span(monday, monday + timedelta(days=6), "last week")
    quarter = re.search(r"\b(?:q([1-4])(?:\s+(\d{4}))?|(last|previous|this)\s+quarter)\b", low)
    if quarter:
        current = (today.month - 1) // 3
        if quarter.group(1):
            number, year = int(quarter.group(1)) - 1, int(quarter.group(2) or today.year)
            if not quarter.group(2) and number > current:
                year -= 1
        else:
            number, year = (current, today.year) if quarter.group(3) == "this" else (current - 1, today.year)
            if number < 0:
                number, year = 3, year - 1
        start = date(year, number * 3 + 1, 1)
        end = _month_span(year, number * 3 + 3).end
        return Span(start, end, f"Q{number + 1} {year}")
    # full month names anywhere, abbreviations only when they look like a period ("for Oct")
    found = re.search(
        rf"\b({'|'.join(m for m in MONTHS if len(m) > 3 or m == 'may')})\b(?:\s+(\d{{4}}))?", low
    ) or re.search(rf"\b(?:for|in|of)\s+({_MONTH_RE})\.?\b(?:\s+(\d{{4}}))?", low)
    if found:
        month = MONTHS[found.group(1)]
        if found.group(2):
            year = int(found.group(2))
        else:
            year = today.year if month <= today.month else today.year - 1
        return _month_span(year, month)
    return None
