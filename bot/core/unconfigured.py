"""What the core speaks to when a message is addressed to a platform this process has no
settings for (a worker started without SLACK_BOT_TOKEN, say).

Nothing can be posted, and that is never silent: every attempt is an error in the log
naming the goal (or monitor) and the channel, and the process's ``/readyz`` reports the
platform as not ready until it is restarted with the platform's settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.chat.port import MessageRef
from bot.chat.replies import Digest, Reply
from bot.domain import Actor, Where
from bot.errors import DatabaseUnavailable
from bot.store import goals

if TYPE_CHECKING:
    from bot.store.database import Database

log = logging.getLogger(__name__)

# the settings that give a process a port for each platform, for the error message
SETTING_OF = {"slack": "SLACK_BOT_TOKEN", "discord": "DISCORD_TOKEN"}


@dataclass
class Missed:
    count: int = 0
    last: str = ""


@dataclass
class Undelivered:
    """Messages this process could not post, by platform (read by ``/readyz``)."""

    by_platform: dict[str, Missed] = field(default_factory=dict)

    def record(self, platform: str, detail: str) -> None:
        setting = SETTING_OF.get(platform, f"the {platform} settings")
        log.error("cannot %s: %s is not configured in this process (set %s)", detail, platform, setting)
        missed = self.by_platform.setdefault(platform, Missed())
        missed.count += 1
        missed.last = detail

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {name: {"count": m.count, "last": m.last} for name, m in self.by_platform.items()}


class UnconfiguredPort:
    """A ChatPort that posts nothing and says so (see the module docstring)."""

    def __init__(self, platform: str, undelivered: Undelivered, database: Database) -> None:
        self.platform = platform
        self._undelivered = undelivered
        self._database = database

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        await self._record("open a thread", where, None)
        return where

    async def post(self, where: Where, reply: Reply) -> MessageRef | None:
        await self._record(f"post a {type(reply).__name__}", where, reply)
        return None

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        where = Where(platform=ref.platform, channel_id=ref.channel_id, thread_id=ref.thread_id, team=ref.team)
        await self._record(f"update a {type(reply).__name__}", where, reply)

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        await self._record(f"tell {actor.key} privately", where, reply)

    async def _record(self, what: str, where: Where, reply: Reply | None) -> None:
        subject = await self._subject(where, reply)
        thread = f" thread {where.thread_id}" if where.thread_id else ""
        self._undelivered.record(self.platform, f"{what} for {subject} in channel {where.channel_id}{thread}")

    async def _subject(self, where: Where, reply: Reply | None) -> str:
        if isinstance(reply, Digest):
            return f"monitor {reply.monitor_id}"
        goal_id = getattr(reply, "goal_id", None)
        if goal_id is None and where.thread_id is not None:
            # a notice carries no goal; its thread names it
            try:
                async with self._database.session(all_teams=True) as session:
                    goal = await goals.goal_by_thread(session, where)
            except DatabaseUnavailable:
                goal = None
            goal_id = goal.id if goal is not None else None
        return f"goal {goal_id}" if goal_id is not None else "no goal"
