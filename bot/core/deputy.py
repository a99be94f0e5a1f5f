"""The Deputy core as one object of explicit parts: settings, database, integrations,
policy, planner, vault, clock, the chat ports adapters attach, and the run observer.

It decides nothing and calls nothing above it: events come in through
:func:`bot.dispatch.dispatch`, and :func:`bot.app.build_app` builds it from settings.

:class:`RunObserver` is the outbound port of execution: what a run asks and tells the
conversation around it. The executor and the worker never import :mod:`bot.flow`; they call
``app.observer``, and the composition root (:func:`bot.app.assemble`) plugs in flow's
implementation (:class:`bot.flow.run_observer.ConversationObserver`) — as bolt-python's
listeners never import the adapter that calls them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bot.chat.port import ChatPort
from bot.core.audited import AuditedPort
from bot.core.unconfigured import UnconfiguredPort, Undelivered
from bot.domain import Actor
from bot.planning import Planner
from bot.policy import Policy
from bot.policy.request_facts import team_of_key
from bot.policy.teams import TeamPolicies
from bot.registry import Registry
from bot.settings import Settings
from bot.store.database import Database, Session
from bot.store.goals import PlanView
from bot.store.tables import StepRow
from bot.vault import CredentialStore


class RunObserver(Protocol):
    async def approval_holds(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                             outputs: dict[str, Any], requester: Actor) -> bool:
        """Before a step: False when what it would write changed since the approval (the
        observer has asked again; the run stops)."""
        ...

    async def call_problem(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                           index: int, args: dict[str, Any], requester: Actor) -> str | None:
        """Before one call: why it must not be sent (derived values changed), or None."""
        ...

    async def progressed(self, app: Deputy, view: PlanView) -> None:
        """The run started or a step finished: show it (the plan card)."""
        ...

    async def finished(self, app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                       failed: StepRow | None, error: str, check: str) -> None:
        """The run is over (``failed`` is None when it succeeded): record it for autopilot,
        show the result, propose a re-plan after a failure."""
        ...

    async def tick(self, app: Deputy, now: datetime) -> None:
        """The worker's periodic sweep: expire waiting plans, escalate, time out runs."""
        ...


class Deputy:
    """Its parts are given once, at construction, and read-only after: a reassignment raises
    AttributeError (tests pass the parts they want different to the builder instead)."""

    def __init__(self, settings: Settings, database: Database, registry: Registry, policy: Policy,
                 planner: Planner, *, clock: Callable[[], datetime] | None = None,
                 vault: CredentialStore | None = None, observer: RunObserver | None = None) -> None:
        self._settings = settings
        self._database = database
        self._registry = registry
        self._policy = policy
        # each team's own policy, or ``policy`` for a team that has none
        self._policies = TeamPolicies(policy, database, settings.resolved_team_policy_dir)
        self._planner = planner
        if clock is not None:
            database.clock = clock
        # per-user credentials; None in a process that runs only credential-free integrations
        self._vault = vault
        # what runs report to (flow's ConversationObserver): plugged in by bot.app.assemble
        self._observer = observer
        self.ports: dict[str, ChatPort] = {}
        # messages addressed to a platform with no port here: logged, and shown on /readyz
        self.undelivered = Undelivered()
        # set when a run is queued, so an in-process worker starts at once instead of polling
        self.work_available = asyncio.Event()

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def database(self) -> Database:
        return self._database

    @property
    def registry(self) -> Registry:
        return self._registry

    @property
    def policy(self) -> Policy:
        """The default policy: what decides for a team with no policy of its own. Verdicts
        take the team's policy from :meth:`policy_for`."""
        return self._policy

    @property
    def policies(self) -> TeamPolicies:
        return self._policies

    async def policy_for(self, team_key: str | None, session: Session | None = None) -> Policy:
        """The policy of team ``platform:team`` (None: no team, the default policy)."""
        return await self._policies.for_team(team_key, session)

    async def policy_of(self, actor_key: str, session: Session | None = None) -> Policy:
        """The policy of the team of ``platform:team:user`` (a goal's requester)."""
        return await self._policies.for_team(team_of_key(actor_key), session)

    @property
    def planner(self) -> Planner:
        return self._planner

    @property
    def vault(self) -> CredentialStore | None:
        return self._vault

    @property
    def clock(self) -> Callable[[], datetime]:
        """The app's time, which is also what the store stamps rows with: one clock, so rate
        limits, undo windows, expiry and leases compare times from the same source."""
        return self.database.clock

    @property
    def observer(self) -> RunObserver:
        if self._observer is None:
            raise RuntimeError("no run observer: build the app with bot.app.build_app or assemble")
        return self._observer

    def attach(self, port: ChatPort) -> None:
        """Use ``port`` for its platform; everything said through it is audited."""
        self.ports[port.platform] = AuditedPort(port, self.database)

    def port(self, platform: str) -> ChatPort:
        """The port of ``platform``; for a platform not configured in this process, one
        that posts nothing and reports every attempt as an error (never a silent skip)."""
        found = self.ports.get(platform)
        if found is not None:
            return found
        return UnconfiguredPort(platform, self.undelivered, self.database)

    async def close(self) -> None:
        await self._planner.aclose()  # a model SDK's HTTP client: its connections close here
        await self.registry.aclose()
        await self.database.dispose()
