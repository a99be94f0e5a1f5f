"""The composition root: builds a :class:`~bot.core.deputy.Deputy` from settings and wires its
parts. Entry points (CLI, serve, processes, adapters) import it; nothing below them does.
Events come in through :func:`bot.dispatch.dispatch`; :func:`dispatcher` gives an adapter
that door as one callable."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.chat.events import ChatEvent, TeamEvent
from bot.core.deputy import Deputy, RunObserver
from bot.domain import Where
from bot.home import missing_home_files, new_home_note
from bot.planning import Planner
from bot.planning.factory import planner_for
from bot.policy import Policy
from bot.registry import IntegrationEnv, Registry
from bot.settings import Settings
from bot.startup import configured_builders, configured_integrations, configured_policy
from bot.store.database import Database, Pool
from bot.store.migrate import upgrade_if_needed
from bot.vault import CredentialStore, check_keyring, load_keyring
from bot.vault.audit_key import AuditKeys

if TYPE_CHECKING:
    from bot.domain import Actor
    from bot.flow.run_observer import ConversationObserver
    from bot.store.goals import PlanView
    from bot.store.tables import StepRow

__all__ = ["Deputy", "assemble", "build_app", "dispatcher", "team_door", "thread_door"]

log = logging.getLogger(__name__)


def dispatcher(app: Deputy, *, redeliverable: bool = False) -> Callable[[ChatEvent], Awaitable[None]]:
    """The one door, bound to ``app``: what an adapter calls with each neutral event
    (``redeliverable``: see :func:`bot.dispatch.dispatch`)."""
    from bot.dispatch import dispatch  # lazy, as the flow below: see FlowObserver

    return partial(dispatch, app, redeliverable=redeliverable)


def thread_door(app: Deputy, platform: str) -> Callable[[str, str], Awaitable[bool]]:
    """Asks whether (channel, thread) of ``platform`` is a goal's thread, from the database:
    an adapter's own memory knows only the threads its process started."""
    from bot.flow.addressing import knows_thread

    async def known(channel_id: str, thread_id: str) -> bool:
        return await knows_thread(app, Where(platform=platform, channel_id=channel_id, thread_id=thread_id))
    return known


def team_door(app: Deputy) -> Callable[[TeamEvent], Awaitable[None]]:
    """What an adapter calls when Deputy is added to or removed from a team."""
    from bot.dispatch import dispatch_team

    return partial(dispatch_team, app)


class FlowObserver:
    """flow's :class:`~bot.flow.run_observer.ConversationObserver`, made at its first call:
    building the app does not import the conversation flow (a fifth of the shell's imports
    before its first prompt), which the prompt does not need (bot/adapters/shell/session.py)."""

    def __init__(self) -> None:
        self._made: ConversationObserver | None = None

    @property
    def made(self) -> ConversationObserver:
        if self._made is None:
            from bot.flow.run_observer import ConversationObserver

            self._made = ConversationObserver()
        return self._made

    async def approval_holds(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                             outputs: dict[str, Any], requester: Actor) -> bool:
        return await self.made.approval_holds(app, run_id, view, step, outputs, requester)

    async def call_problem(self, app: Deputy, run_id: int, view: PlanView, step: StepRow,
                           index: int, args: dict[str, Any], requester: Actor) -> str | None:
        return await self.made.call_problem(app, run_id, view, step, index, args, requester)

    async def progressed(self, app: Deputy, view: PlanView) -> None:
        await self.made.progressed(app, view)

    async def finished(self, app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                       failed: StepRow | None, error: str, check: str) -> None:
        await self.made.finished(app, view, run_id, outputs, failed, error, check)

    async def tick(self, app: Deputy, now: datetime) -> None:
        await self.made.tick(app, now)


def assemble(settings: Settings, database: Database, registry: Registry, policy: Policy,
             planner: Planner, *, clock: Callable[[], datetime] | None = None,
             vault: CredentialStore | None = None) -> Deputy:
    """A Deputy from parts already made (tests and benchmarks build their own), wired the
    way build_app wires it: flow's ConversationObserver is what runs report to."""
    observer: RunObserver = FlowObserver()
    return Deputy(settings, database, registry, policy, planner, clock=clock, vault=vault,
                  observer=observer)


async def build_app(settings: Settings, *, planner: Planner | None = None,
                    clock: Callable[[], datetime] | None = None, migrate: bool = True,
                    on_new_home: Callable[[str], None] | None = None, pool: Pool | None = None) -> Deputy:
    """Everything a process needs, from settings. Applies migrations on the embedded default.
    ``pool``: the process's connections to PostgreSQL when not the chat paths' default.

    ``on_new_home`` is told, in one line, when this start created DEPUTY_HOME's files."""
    # a mistake in the integrations or the policy stops start-up before anything is created
    registry = configured_integrations(settings)
    policy = configured_policy(settings)
    await configured_builders(settings, registry)  # e.g. one integration per MCP server
    fresh = missing_home_files(settings)
    if settings.uses_embedded_database:
        settings.home.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url, pool=pool)
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
