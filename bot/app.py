"""The composition root: builds a :class:`~bot.core.deputy.Deputy` from settings and wires its
parts. Entry points (CLI, serve, processes, adapters) import it; nothing below them does.
Events come in through :func:`bot.dispatch.dispatch`; :func:`dispatcher` gives an adapter
that door as one callable."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from bot.chat.events import ChatEvent, TeamEvent
from bot.core.deputy import Deputy
from bot.dispatch import dispatch, dispatch_team
from bot.domain import Where
from bot.flow.addressing import knows_thread
from bot.flow.run_observer import ConversationObserver
from bot.home import missing_home_files, new_home_note
from bot.planning import Planner
from bot.planning.factory import planner_for
from bot.policy import Policy
from bot.registry import IntegrationEnv, Registry
from bot.settings import Settings
from bot.startup import configured_builders, configured_integrations, configured_policy
from bot.store.database import Database
from bot.store.migrate import upgrade_if_needed
from bot.vault import CredentialStore, check_keyring, load_keyring
from bot.vault.audit_key import AuditKeys

__all__ = ["Deputy", "assemble", "build_app", "dispatcher", "team_door", "thread_door"]

log = logging.getLogger(__name__)


def dispatcher(app: Deputy) -> Callable[[ChatEvent], Awaitable[None]]:
    """The one door, bound to ``app``: what an adapter calls with each neutral event."""
    return partial(dispatch, app)


def thread_door(app: Deputy, platform: str) -> Callable[[str, str], Awaitable[bool]]:
    """Asks whether (channel, thread) of ``platform`` is a goal's thread, from the database:
    an adapter's own memory knows only the threads its process started."""
    async def known(channel_id: str, thread_id: str) -> bool:
        return await knows_thread(app, Where(platform=platform, channel_id=channel_id, thread_id=thread_id))
    return known


def team_door(app: Deputy) -> Callable[[TeamEvent], Awaitable[None]]:
    """What an adapter calls when Deputy is added to or removed from a team."""
    return partial(dispatch_team, app)


def assemble(settings: Settings, database: Database, registry: Registry, policy: Policy,
             planner: Planner, *, clock: Callable[[], datetime] | None = None,
             vault: CredentialStore | None = None) -> Deputy:
    """A Deputy from parts already made (tests and benchmarks build their own), wired the
    way build_app wires it: flow's ConversationObserver is what runs report to."""
    return Deputy(settings, database, registry, policy, planner, clock=clock, vault=vault,
                  observer=ConversationObserver())


async def build_app(settings: Settings, *, planner: Planner | None = None,
                    clock: Callable[[], datetime] | None = None, migrate: bool = True,
                    on_new_home: Callable[[str], None] | None = None) -> Deputy:
    """Everything a process needs, from settings. Applies migrations on the embedded default.

    ``on_new_home`` is told, in one line, when this start created DEPUTY_HOME's files."""
    # a mistake in the integrations or the policy stops start-up before anything is created
    registry = configured_integrations(settings)
    policy = configured_policy(settings)
    await configured_builders(settings, registry)  # e.g. one integration per MCP server
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
    database.audit_keys = AuditKeys(keyring)  # every audit record is an HMAC from now on
    return assemble(settings, database, registry, policy,
                    planner or planner_for(settings, registry), clock=clock,
                    vault=CredentialStore(database, keyring))
