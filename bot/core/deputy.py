"""The Deputy core as one object of explicit parts: settings, database, integrations,
policy, planner, vault, clock, and the chat ports adapters attach.

It decides nothing and calls nothing above it: events come in through
:func:`bot.dispatch.dispatch`, and :func:`bot.app.build_app` builds it from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from bot.chat.port import ChatPort
from bot.core.audited import AuditedPort
from bot.core.unconfigured import UnconfiguredPort, Undelivered
from bot.planning import Planner
from bot.policy import Policy
from bot.registry import Registry
from bot.settings import Settings
from bot.store.database import Database
from bot.vault import CredentialStore


class Deputy:
    def __init__(self, settings: Settings, database: Database, registry: Registry, policy: Policy,
                 planner: Planner, *, clock: Callable[[], datetime] | None = None,
                 vault: CredentialStore | None = None) -> None:
        self.settings = settings
        self.database = database
        self.registry = registry
        self.policy = policy
        self.planner = planner
        if clock is not None:
            database.clock = clock
        # per-user credentials; None in a process that runs only credential-free integrations
        self.vault = vault
        self.ports: dict[str, ChatPort] = {}
        # messages addressed to a platform with no port here: logged, and shown on /readyz
        self.undelivered = Undelivered()
        # set when a run is queued, so an in-process worker starts at once instead of polling
        self.work_available = asyncio.Event()

    @property
    def clock(self) -> Callable[[], datetime]:
        """The app's time, which is also what the store stamps rows with: one clock, so rate
        limits, undo windows, expiry and leases compare times from the same source."""
        return self.database.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.database.clock = clock

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
        await self.registry.aclose()
        await self.database.dispose()
