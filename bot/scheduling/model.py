"""The plain records of monitoring: when (Schedule), whether to post (PostWhen), and
what is posted (Digest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.chat.replies import Digest
from bot.errors import UserError

__all__ = ["Digest", "PostWhen", "Schedule"]

_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")


class PostWhen(StrEnum):
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
