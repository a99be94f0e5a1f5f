"""APScheduler triggers for a Schedule, in the owner's time zone.

Interval schedules count real elapsed time (every 2 hours stays 2 hours apart across a
clock change). Cron schedules follow the wall clock, once per wall-clock time: APScheduler
3.11 fires a cron time twice when the clock goes back (01:30 BST, then 01:30 GMT on the
last Sunday of October); :class:`WallClockCronTrigger` drops the repeat.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import UserError
from bot.scheduling.model import Schedule


class WallClockCronTrigger(CronTrigger):
    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        nxt: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if nxt is None or previous_fire_time is None:
            return nxt
        before = previous_fire_time.astimezone(self.timezone).replace(tzinfo=None)
        if nxt.astimezone(self.timezone).replace(tzinfo=None) == before:
            # the same wall-clock time again, one hour later: the clock went back
            later: datetime | None = super().get_next_fire_time(nxt, _just_after(nxt))
            return later
        return nxt


def _just_after(moment: datetime) -> datetime:
    # in UTC: aware arithmetic in a zone is wall-clock arithmetic and drops ``fold``, so
    # 01:30 GMT + 1 µs would land back on 01:30 BST
    return moment.astimezone(UTC) + timedelta(microseconds=1)


def trigger_for(schedule: Schedule, timezone: str, *, anchor: datetime | None = None) -> BaseTrigger:
    """The trigger; ``anchor`` is when an interval starts counting (default: now)."""
    tz = ZoneInfo(timezone)
    if schedule.kind == "interval":
        if schedule.seconds < 1:
            raise UserError("An interval must be at least a second.")
        return IntervalTrigger(seconds=schedule.seconds, timezone=tz, start_date=anchor)
    try:
        return WallClockCronTrigger(timezone=tz, **schedule.cron)
    except ValueError as err:
        raise UserError(f"That schedule is not valid: {err}.") from err


def next_fire_times(trigger: BaseTrigger, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after``."""
    times: list[datetime] = []
    previous: datetime | None = None
    now = _just_after(after)
    while len(times) < count:
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None:
            break
        times.append(nxt)
        previous, now = nxt, _just_after(nxt)
    return times


def latest_fire_time(trigger: BaseTrigger, start: datetime, before: datetime,
                     limit: int = 100_000) -> datetime | None:
    """The last fire time in (start, before), or None; bounded so a bad range cannot spin."""
    last: datetime | None = None
    previous: datetime | None = None
    now = _just_after(start)
    for _ in range(limit):
        nxt = trigger.get_next_fire_time(previous, now)
        if nxt is None or nxt >= before:
            break
        last = previous = nxt
        now = _just_after(nxt)
    return last
