"""The plain records of monitoring: when (Schedule), whether to post (Condition), and
what is posted (Digest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.errors import UserError

_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")


class Condition(StrEnum):
    ALWAYS = "always"
    NON_EMPTY = "non_empty"  # some step returned a non-empty list
    CHANGED = "changed"  # the outputs differ from those of the last digest posted


@dataclass(frozen=True)
class Schedule:
    """Either cron fields (APScheduler syntax, e.g. day_of_week="mon", hour="9") or an
    interval in seconds. Times are read in the monitor owner's time zone."""

    kind: str  # "cron" | "interval"
    cron: dict[str, str] = field(default_factory=dict)
    seconds: int = 0

    @staticmethod
    def every(seconds: int) -> Schedule:
        if seconds < 60:
            raise UserError("A monitor can run at most once a minute.")
        return Schedule(kind="interval", seconds=seconds)

    @staticmethod
    def at(**fields: str | int) -> Schedule:
        unknown = sorted(set(fields) - set(_CRON_FIELDS))
        if unknown:
            raise UserError(f"Unknown schedule fields: {', '.join(unknown)}.")
        return Schedule(kind="cron", cron={k: str(v) for k, v in fields.items()})

    def to_json(self) -> dict[str, Any]:
        if self.kind == "interval":
            return {"kind": "interval", "seconds": self.seconds}
        return {"kind": "cron", **self.cron}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Schedule:
        if data.get("kind") == "interval":
            return Schedule(kind="interval", seconds=int(data["seconds"]))
        return Schedule(kind="cron", cron={k: str(v) for k, v in data.items() if k in _CRON_FIELDS})

    def describe(self) -> str:
        if self.kind == "interval":
            minutes, seconds = divmod(self.seconds, 60)
            hours, minutes = divmod(minutes, 60)
            parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "",
                     f"{seconds} s" if seconds else ""]
            return "every " + " ".join(p for p in parts if p)
        return "cron " + " ".join(f"{k}={v}" for k, v in self.cron.items())


@dataclass(frozen=True)
class Digest:
    """What a monitor posts to its channel. Platform-neutral; adapters render it:

    * Slack: a header block with ``title``, a section per line (mrkdwn), a context block
      with ``footer``; a "Details" button (value ``details_ref``) and, when ``offer`` is
      set, a primary "Plan: <offer>" button that starts that goal through the normal flow.
    * Discord: an embed (title, description = lines, footer) with the same two buttons.
    * Shell: the title, the lines indented, the footer, then "→ say: <offer>".
    """

    monitor_id: int
    title: str
    lines: tuple[str, ...]
    footer: str  # schedule and next run, e.g. "every Monday 09:00 Europe/London · next Mon 1 Dec"
    details_ref: str  # "run 42": where the full outputs can be seen (`deputy runs show 42`)
    offer: str = ""  # a follow-up goal ("send reminders for the overdue invoices")
    late: bool = False  # fired after downtime, later than its scheduled time
    scheduled_at: datetime | None = None

    def as_text(self) -> str:
        body = [self.title, *(f"  {line}" for line in self.lines), self.footer]
        if self.offer:
            body.append(f"Ready to plan: “{self.offer}” — reply with it to get a plan to approve.")
        return "\n".join(body)
