"""A chat harness over the full core: say something as someone, read what Deputy answered.

It drives the same ShellSession and TextPort as `deputy shell`, so a whole conversation
(goal → plan → approve → result) is a short test.
"""

from __future__ import annotations

from bot.adapters.shell.port import TextPort
from bot.adapters.shell.session import ShellSession, local_actor
from bot.app import Deputy
from bot.chat.replies import PlanCard


class Chat:
    def __init__(self, app: Deputy, user: str = "Alice", timezone: str = "Europe/London",
                 channel: str = "terminal") -> None:
        self.app = app
        self.lines: list[str] = []
        self.port = TextPort(lambda text, tone: self.lines.append(text))
        self.user = local_actor(user, timezone)
        self.session = ShellSession(app, self.port, self.user, channel=channel)

    async def say(self, text: str, as_user: str | None = None) -> str:
        """Send one line; return everything Deputy printed in answer."""
        start = len(self.lines)
        actor = local_actor(as_user, self.user.timezone) if as_user else None
        await self.session.handle_line(text, actor)
        return "\n".join(self.lines[start:])

    @property
    def card(self) -> PlanCard:
        assert self.port.latest_card is not None, "no plan card was posted"
        return self.port.latest_card

    @property
    def transcript(self) -> str:
        return "\n".join(self.lines)
