"""The Deputy core as one object: settings, database, integrations, policy, planner, and the
chat ports adapters attach. ``dispatch`` is the one door events come in by."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.chat.events import ChatEvent
from bot.chat.port import ChatPort
from bot.chat.unconfigured import UnconfiguredPort, Undelivered
from bot.planning import Planner
from bot.policy import Policy
from bot.registry import IntegrationEnv, Registry
from bot.settings import Settings
from bot.store.database import Database
from bot.vault import CredentialStore, check_keyring, load_keyring

log = logging.getLogger(__name__)


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
        from bot.chat.audited import AuditedPort

        self.ports[port.platform] = AuditedPort(port, self.database)

    def port(self, platform: str) -> ChatPort:
        """The port of ``platform``; for a platform not configured in this process, one
        that posts nothing and reports every attempt as an error (never a silent skip)."""
        found = self.ports.get(platform)
        if found is not None:
            return found
        return UnconfiguredPort(platform, self.undelivered, self.database)

    async def dispatch(self, event: ChatEvent) -> None:
        from bot.dispatch import dispatch

        await dispatch(self, event)

    async def close(self) -> None:
        await self.registry.aclose()
        await self.database.dispose()


async def build_app(settings: Settings, *, planner: Planner | None = None,
                    clock: Callable[[], datetime] | None = None, migrate: bool = True,
                    on_new_home: Callable[[str], None] | None = None) -> Deputy:
    """Everything a process needs, from settings. Applies migrations on the embedded default.

    ``on_new_home`` is told, in one line, when this start created DEPUTY_HOME's files."""
    from bot.home import missing_home_files, new_home_note
    from bot.planning.factory import planner_for
    from bot.startup import configured_integrations, configured_mcp_servers, configured_policy
    from bot.store.migrate import upgrade_if_needed

    # a mistake in the integrations or the policy stops start-up before anything is created
    registry = configured_integrations(settings)
    policy = configured_policy(settings)
    if settings.mcp_servers:
        await configured_mcp_servers(settings, registry)
    fresh = missing_home_files(settings)
    if settings.uses_embedded_database:
        settings.home.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    try:
        if migrate and settings.uses_embedded_database:
            await upgrade_if_needed(database)
        registry.start(IntegrationEnv(settings=settings, database=database, clock=clock))
        master = settings.master_key.get_secret_value() if settings.master_key else None
        keyring = await load_keyring(settings.home, master)
        await check_keyring(database, keyring)
    except BaseException:
        # started MCP servers are child processes: do not leave them behind a failed start
        await registry.aclose()
        await database.dispose()
        raise
    if fresh and on_new_home is not None:
        on_new_home(new_home_note(settings, fresh))
    from bot.vault.audit_key import AuditKeys

    database.audit_keys = AuditKeys(keyring)  # every audit record is an HMAC from now on
    return Deputy(settings, database, registry, policy,
                  planner or planner_for(settings, registry), clock=clock,
                  vault=CredentialStore(database, keyring))
