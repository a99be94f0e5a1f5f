"""What the core needs from a chat platform. Each adapter provides one ChatPort."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.chat.replies import Reply
from bot.domain import Actor, Where


@dataclass(frozen=True)
class MessageRef:
    """A message Deputy posted, so it can be edited later (even by another process)."""

    platform: str
    channel_id: str
    message_id: str
    thread_id: str | None = None
    team: str | None = None  # the team it was posted for (see :class:`bot.domain.Where`)


class ChatPort(Protocol):
    platform: str

    async def open_thread(self, where: Where, title: str, message_id: str | None) -> Where:
        """Return the thread to answer a new goal in: under ``message_id`` when the goal
        came as a message, otherwise a new thread the adapter starts (e.g. for a slash
        command)."""
        ...

    async def post(self, where: Where, reply: Reply) -> MessageRef | None:
        """Post in the thread ``where.thread_id`` (or the channel when None). None only from
        the stand-in for a platform this process has no settings for (nothing was posted;
        see :mod:`bot.core.unconfigured`)."""
        ...

    async def update(self, ref: MessageRef, reply: Reply) -> None:
        """Replace a message Deputy posted earlier, e.g. the plan card as steps run."""
        ...

    async def post_private(self, where: Where, actor: Actor, reply: Reply) -> None:
        """Show a reply to one person only (Slack ephemeral, Discord ephemeral)."""
        ...


@runtime_checkable
class FindsCards(Protocol):
    """A port that can find a plan card it posted earlier by asking the platform, not Deputy's
    own record: a redo after a crash between the post and its record (bot/flow/goal_redo.py)
    adopts that card instead of posting a second one."""

    async def find_card(self, where: Where, plan_id: int, version: int) -> MessageRef | None:
        """The card of plan ``plan_id`` version ``version`` in the thread ``where``, or None."""
        ...


@runtime_checkable
class FindsAnswers(Protocol):
    """A port that marks a question or an "I can't" it posts with the id of the stored thread
    message it says, and finds it again by that mark: a redo after a crash between the post
    and its record (bot/flow/thread_answers.py) adopts it instead of asking twice."""

    async def post_answer(self, where: Where, reply: Reply, said: int) -> MessageRef | None:
        """Post ``reply``, the stored thread message ``said``, marked so :meth:`find_answer` finds it."""
        ...

    async def find_answer(self, where: Where, said: int) -> MessageRef | None:
        """The message posted for thread message ``said`` in the thread ``where``, or None."""
        ...
