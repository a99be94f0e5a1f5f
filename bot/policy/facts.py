"""What the policy knows about a request besides the step: who asks, where, and when.

Adapters know the platform groups (Slack user groups, Discord roles) and pass them in; the
store does not keep them, so a re-evaluation later may not know them: ``None`` then means
"not known", which the evaluator reads the cautious way, never as "in no group".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Actor


@dataclass(frozen=True)
class RequestFacts:
    requester_key: str  # platform:team:user
    requester_groups: frozenset[str] | None = frozenset()  # platform groups; None = not known
    channel_id: str | None = None  # None = not known
    platform: str = ""
    now: datetime | None = None  # aware; None = not known

    @property
    def team_id(self) -> str:
        parts = self.requester_key.split(":")
        return parts[1] if len(parts) >= 3 else ""

    @property
    def requester_user_id(self) -> str:
        return self.requester_key.split(":")[-1]

    @classmethod
    def of(cls, actor: Actor, channel_id: str | None, now: datetime | None) -> RequestFacts:
        return cls(requester_key=actor.key, requester_groups=actor.groups, channel_id=channel_id,
                   platform=actor.platform, now=now)


def member_of(members: list[str], key: str) -> bool:
    """Policy groups list actor keys (``platform:team:user``) or bare user ids."""
    return key in members or key.split(":")[-1] in members
