"""What people do in chat, in platform-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import Actor, Where


@dataclass(frozen=True)
class GoalPosted:
    """Someone asked Deputy for something (slash command, mention, shell line).

    ``event_id`` is the platform's id for this delivery; a retry carries the same id and is
    ignored. ``message_id`` is the chat message holding the goal, if there is one, so the
    plan can be threaded under it. ``redelivered``: the process that handled this event
    before died mid-way (the adapter knows, e.g. from a queued request's lease): what is
    left of its work is finished instead of being ignored as a retry.
    """

    actor: Actor
    where: Where
    text: str
    event_id: str | None = None
    message_id: str | None = None
    redelivered: bool = False


@dataclass(frozen=True)
class ThreadReply:
    """A message in the thread of an existing goal: an answer or a change request
    (``redelivered``: as :class:`GoalPosted`'s)."""

    actor: Actor
    where: Where
    text: str
    event_id: str | None = None
    redelivered: bool = False


@dataclass(frozen=True)
class ButtonPressed:
    """A click on a plan card button. ``button_id`` is the raw ``deputy:…`` id;
    ``message_id`` the platform's id of the message holding the button, when it says."""

    actor: Actor
    where: Where
    button_id: str
    event_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class StepEdit:
    """Change one argument of one step: ``step`` is the 1-based number shown on the card."""

    step: int
    key: str
    value: str


@dataclass(frozen=True)
class ModifySubmitted:
    """A plan edit (modal or ``modify N key=value``): becomes a new plan version."""

    actor: Actor
    where: Where
    plan_id: int
    version: int
    edits: tuple[StepEdit, ...] = field(default_factory=tuple)
    event_id: str | None = None


@dataclass(frozen=True)
class CommandInvoked:
    """A management command: help, status, cancel ID, runs …"""

    actor: Actor
    where: Where
    name: str
    argument: str = ""
    event_id: str | None = None


@dataclass(frozen=True)
class CredentialsSubmitted:
    """What a person typed into a connect form (modal, hidden prompt). Never a channel message."""

    actor: Actor
    where: Where
    integration: str
    fields: dict[str, str] = field(default_factory=dict, repr=False)
    event_id: str | None = None


ChatEvent = (GoalPosted | ThreadReply | ButtonPressed | ModifySubmitted | CommandInvoked
             | CredentialsSubmitted)


@dataclass(frozen=True)
class TeamJoined:
    """Deputy was added to a team (a Discord guild joined, a workspace installed), or the
    platform says at start-up that it is there. ``joined`` is False for the latter."""

    platform: str
    team_id: str
    name: str = ""
    joined: bool = True


@dataclass(frozen=True)
class TeamRemoved:
    """Deputy was removed from a team (GUILD_DELETE of a guild that is not merely down,
    the app uninstalled): its data is archived."""

    platform: str
    team_id: str


TeamEvent = TeamJoined | TeamRemoved
