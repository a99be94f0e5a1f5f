"""What the policy knows about a request besides the step: who asks, where, and when.

Adapters know the platform groups (Slack user groups, Discord roles) and pass them in; the
store does not keep them, so a re-evaluation later may not know them: ``None`` then means
"not known", which the evaluator reads the cautious way, never as "in no group".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import Actor
from bot.store.tables import GoalRow


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


def team_of_key(key: str) -> str:
    """``platform:team`` of an actor key ``platform:team:user``."""
    platform, _, rest = key.partition(":")
    return f"{platform}:{rest.partition(':')[0]}"


def member_of(members: list[str], key: str, home_team: str | None = None) -> bool:
    """Policy groups list actor keys (``platform:team:user``) or bare user ids.

    A bare id (``U0BOSS``) names a person of the goal's own team (``home_team``,
    ``platform:team``): the same id in another workspace or guild is somebody else.
    """
    if key in members:
        return True
    if home_team is not None and team_of_key(key) != home_team:
        return False
    return key.split(":", 2)[-1] in members


def facts_of(goal: GoalRow, now: datetime) -> RequestFacts:
    """What the policy knows of a goal's request, including the requester's platform groups."""
    return RequestFacts(requester_key=goal.requester_key,
                        requester_groups=frozenset(goal.requester_groups or ()),
                        channel_id=goal.channel_id, platform=goal.platform, now=now)
