"""What every planner offers, and what it is given.

A planner never calls an integration: everything it may know comes in the
:class:`PlanningContext`, built by the core before the call. That keeps credentials and raw
tool output out of planning unless the core chooses to pass them (re-planning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.domain import Actor, PlanDraft, PlanningOutcome, Step
from bot.memory.recall import RememberedFact
from bot.registry import ActionSpec


class ActionCatalog(Protocol):
    """The actions a planner may use, keyed ``integration.action``."""

    def spec(self, action: str) -> ActionSpec | None: ...


@dataclass(frozen=True)
class KnownPerson:
    name: str
    email: str
    company: str = ""


@dataclass(frozen=True)
class PastRun:
    """A run that succeeded, which the requester may reuse ("invoice Acme like last month",
    "do the same for Globex"): an episode of this channel, or their own (bot/store/episodes.py)."""

    run_id: int
    goal: str
    summary: str
    steps: tuple[Step, ...]
    finished_at: datetime  # aware


@dataclass(frozen=True)
class PlanningContext:
    requester: Actor
    now: datetime  # aware, in the requester's time zone
    timezone: str
    actions: ActionCatalog
    # names the planner can recognise in a goal: CRM contacts and invoicing clients
    people: tuple[KnownPerson, ...] = ()
    clients: tuple[str, ...] = ()
    # earlier messages of the thread, oldest first, as (author label, text)
    history: tuple[tuple[str, str], ...] = ()
    policy_summary: str = ""
    # memories relevant to the goal, within the requester's scope (bot/memory/recall.py)
    memories: tuple[RememberedFact, ...] = ()
    # the requester's reusable runs of the last 90 days, newest first (bot/flow/context.py)
    past_runs: tuple[PastRun, ...] = ()


@dataclass(frozen=True)
class ReplanRequest:
    """A run failed: what was planned, what ran, and why it stopped."""

    goal: str
    plan: PlanDraft
    # step id -> output of the steps that succeeded
    completed: dict[str, Any] = field(default_factory=dict)
    failed_step: str = ""
    error: str = ""
    # step id -> the calls of a for_each step that went through before it failed or was
    # stopped: each {"item": index, "args": ..., "result": ...}; not to be repeated
    went_through: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class Planner(Protocol):
    name: str

    async def plan(self, goal: str, context: PlanningContext) -> PlanningOutcome: ...

    async def replan(self, request: ReplanRequest, context: PlanningContext) -> PlanningOutcome: ...

    async def aclose(self) -> None:
        """Release what the planner holds (a model SDK's HTTP connections); the app's
        close calls it. Planning after it is not supported."""
        ...
