"""Time windows: ``{days: [mon..fri], hours: "09:00-18:00", timezone: Europe/London}``.

Hours may cross midnight (``"22:00-06:00"``): the night then belongs to the day it starts
on, so Friday 22:00-06:00 covers Saturday 02:00. ``hours`` left out means the whole day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _expand_days(value: Any) -> Any:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    days: list[str] = []
    for item in items:
        text = str(item).strip().lower()
        sep = ".." if ".." in text else "-" if "-" in text else None
        if sep:
            first, last = (p.strip()[:3] for p in text.split(sep, 1))
            if first not in DAYS or last not in DAYS:
                raise ValueError(f"unknown day in {text!r}; use mon, tue, … sun")
            i, j = DAYS.index(first), DAYS.index(last)
            days.extend(DAYS[(i + k) % 7] for k in range((j - i) % 7 + 1))
        elif text[:3] in DAYS:
            days.append(text[:3])
        else:
            raise ValueError(f"unknown day {text!r}; use mon, tue, … sun")
    return days


def _clock(text: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        if hours.strip() == "24" and minutes.strip() == "00":
            return time.max
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day like 09:00") from None


class TimeWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[str] = DAYS
    hours: str = "00:00-24:00"
    timezone: str = "UTC"

    _days = field_validator("days", mode="before")(_expand_days)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)") from None
        return value

    @model_validator(mode="after")
    def _hours(self) -> TimeWindow:
        start, end = self.bounds()
        if start == end:
            raise ValueError(f"hours {self.hours!r} is an empty window")
        return self

    def bounds(self) -> tuple[time, time]:
        if "-" not in self.hours:
            raise ValueError(f"hours {self.hours!r} must look like 09:00-18:00")
        first, last = self.hours.split("-", 1)
        return _clock(first), _clock(last)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        start, end = self.bounds()
        now = local.time().replace(tzinfo=None)
        today = DAYS[local.weekday()]
        if start < end:
            return today in self.days and start <= now < end
        # across midnight: late part belongs to today, early part to yesterday's window
        yesterday = DAYS[(local - timedelta(days=1)).weekday()]
        return (now >= start and today in self.days) or (now < end and yesterday in self.days)

    def describe(self) -> str:
        days = ",".join(self.days) if self.days != DAYS else "every day"
        if len(self.days) > 2 and self.days == DAYS[DAYS.index(self.days[0]):][:len(self.days)]:
            days = f"{self.days[0]}-{self.days[-1]}"
        return f"{days} {self.hours} {self.timezone}"
