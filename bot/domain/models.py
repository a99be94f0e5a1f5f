"""The records the core passes around: who asked, where, what plan, what happened.

They are plain pydantic models so they serialise to JSON for the store and the audit log
without a second description of their shape.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Effect(StrEnum):
    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class GoalStatus(StrEnum):
    PLANNING = "planning"
    WAITING = "waiting"  # a plan or a question waits for people
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    UNPLANNED = "unplanned"


class PlanStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    PENDING = "pending"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApprovalDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# the team of the terminal shell and of the CLI on the embedded default
LOCAL_TEAM = "shell:local"


def team_key_of(platform: str, team_id: str) -> str:
    """``platform:team_id``, the team's key everywhere (``cli:local`` is the shell's team)."""
    if platform in ("shell", "cli") and team_id in ("", "local"):
        return LOCAL_TEAM
    return f"{platform}:{team_id}"


def team_of_actor_key(key: str) -> str:
    """The team of an actor key ``platform:team:user`` (the shell's when it is not one)."""
    parts = key.split(":", 2)
    return team_key_of(parts[0], parts[1]) if len(parts) == 3 else LOCAL_TEAM


class Actor(BaseModel):
    """A person as a chat platform knows them."""

    model_config = ConfigDict(frozen=True)

    platform: str
    team_id: str
    user_id: str
    display_name: str = ""
    timezone: str = "UTC"
    # the platform groups the person is in (Slack user groups, Discord roles mapped by name)
    groups: frozenset[str] = frozenset()
    # the platform role ids the person holds (Discord), mapped to groups by the team's settings
    roles: frozenset[str] = frozenset()
    # an administrator of the team on its platform (Slack is_admin/is_owner, Discord Manage
    # Server): may change the team's settings in chat (`setup`, `admin`)
    admin: bool = False

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.team_id}:{self.user_id}"

    @property
    def team_key(self) -> str:
        """The team this person acts in, the unit of isolation: ``slack:T0123``,
        ``discord:<guild id>``; the shell and the CLI on one machine are one team."""
        return team_key_of(self.platform, self.team_id)

    @property
    def label(self) -> str:
        return self.display_name or self.user_id


class Where(BaseModel):
    """The conversation a goal lives in: a channel and, once Deputy answered, a thread."""

    model_config = ConfigDict(frozen=True)

    platform: str
    channel_id: str
    thread_id: str | None = None
    # the team the message is for (``slack:T…``): in a channel shared by two teams (Slack
    # Connect) the adapter speaks with that team's credentials; None when it is the channel's
    team: str | None = None


class Ref(BaseModel):
    """A reference to an earlier step's output, e.g. ``s1.invoices`` or ``item.id``."""

    model_config = ConfigDict(frozen=True)

    ref: str = Field(alias="$ref")


class Step(BaseModel):
    """One action of a plan. Argument values may contain ``{"$ref": "s1.path"}`` references.

    ``for_each`` names a list in an earlier step's output: the action then runs once per
    element, and ``{"$ref": "item..."}`` inside ``args`` refers to that element.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    action: str
    args: dict[str, Any] = Field(default_factory=dict)
    for_each: str | None = None
    note: str = ""

    @property
    def integration(self) -> str:
        return self.action.split(".", 1)[0]

    @property
    def action_name(self) -> str:
        return self.action.split(".", 1)[1] if "." in self.action else self.action


class PlanDraft(BaseModel):
    """What a planner proposes: an ordered list of steps and one line saying what it does."""

    summary: str
    steps: list[Step]
    # tokens a model planner spent: input, output, cache_read, cache_write (empty for rules)
    usage: dict[str, int] = Field(default_factory=dict)
    # who planned, for the card: "llama3.1:8b on openai-compatible" (empty for the rules)
    planned_by: str = ""
    # ids of the memories that shaped this plan, for the card's "Using:" line (not in the
    # fingerprint: what runs is the steps)
    memories_used: list[int] = Field(default_factory=list)
    # the past run whose plan this one reuses ("do the same for Globex"), for the same line
    runs_used: list[int] = Field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of the exact steps, so an approval can be bound to what it approved."""
        body = json.dumps(
            [s.model_dump(by_alias=True) for s in self.steps], sort_keys=True, default=str
        )
        return hashlib.sha256(body.encode()).hexdigest()


class Clarification(BaseModel):
    """The planner needs an answer before it can plan."""

    question: str
    usage: dict[str, int] = Field(default_factory=dict)


class CannotPlan(BaseModel):
    """The planner cannot plan this goal; ``message`` says what it can do instead."""

    message: str
    usage: dict[str, int] = Field(default_factory=dict)


PlanningOutcome = PlanDraft | Clarification | CannotPlan
