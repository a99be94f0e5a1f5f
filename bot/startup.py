"""Start-up mistakes as one line each: a :class:`SettingsError` naming the setting and the fix.

``build_app`` loads the integrations and the policy through these before it touches the
database, so a mistake stops the process before anything is created. A server process then
warns (:func:`check_connections`) when the README's scale-out layout of its pools would need
more PostgreSQL connections than the server allows: not a mistake of this process alone.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass

from bot.errors import DatabaseUnavailable, ManifestError, PolicyError, SettingsError
from bot.integration_settings import (
    IntegrationSourceError,
    build_settings,
    builder_sources,
    import_part,
    settings_model,
)
from bot.policy import Policy, load_policy
from bot.registry import Registry, UnknownIntegrations, discover
from bot.settings import Settings
from bot.store.database import Database
from bot.store.server_limits import ConnectionLimit, connection_limit

log = logging.getLogger(__name__)


def configured_integrations(settings: Settings) -> Registry:
    """The enabled integrations, each with its own settings read (a bad one stops start-up)."""
    try:
        registry = discover(settings.integrations, settings.integration_paths)
    except UnknownIntegrations as err:
        guesses = [f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)
                   for name in err.unknown
                   for close in [difflib.get_close_matches(name, err.available, n=1)]]
        raise SettingsError(
            f"DEPUTY_INTEGRATIONS: no integration named {', '.join(guesses)}; use folder names "
            f"from `deputy integrations list`: {', '.join(err.available)}") from None
    except ManifestError as err:
        raise SettingsError(
            f"integration manifest: {err}; fix it (`deputy integrations check` validates every "
            "manifest) or leave that integration out of DEPUTY_INTEGRATIONS") from None
    registry.configure(settings)
    return registry


def configured_policy(settings: Settings) -> Policy:
    path = settings.resolved_policy_file
    try:
        return load_policy(path)
    except PolicyError as err:
        raise SettingsError(
            f"DEPUTY_POLICY_FILE: {err}; fix the file (`deputy policy check {path}` lists every "
            "problem) or point DEPUTY_POLICY_FILE at another policy") from None


async def configured_builders(settings: Settings, registry: Registry) -> None:
    """Let every installed builder add its integrations to ``registry`` (MCP: one per
    configured server), each with its own settings; a builder names its own mistakes."""
    given = settings.model_extra or {}
    try:
        for source in builder_sources(settings.integration_paths):
            model = settings_model(source)
            module = import_part(source, "builder")
            add = getattr(module, "add_integrations", None)
            if add is None:
                raise IntegrationSourceError(f"{source.folder}/builder.py must define "
                                             "`async def add_integrations(registry, config)`")
            await add(registry, build_settings(model, given) if model is not None else None)
    except IntegrationSourceError as err:
        raise SettingsError(f"integration builder: {err}") from None


# what a process's pool opens at most where no size is set: SQLAlchemy's 5 + 10 overflow
# (bot/store/database.py's Pool(); tests/store/test_connection_budget.py checks it)
DEFAULT_POOL_MOST = 15


@dataclass(frozen=True)
class PoolShare:
    """One line of the Procfile in the README's scale-out layout: how many such processes,
    the connections each may open at most, and what sets that."""

    process: str
    count: int
    each: int
    setting: str


def scale_out_layout(settings: Settings) -> tuple[PoolShare, ...]:
    """The README's scale-out layout (Running it for a team: Connections), with this
    deployment's pool settings."""
    default = "5 + 10 overflow (fixed)"
    return (
        PoolShare("planner", 2, settings.planner_pool_size, "DEPUTY_PLANNER_POOL_SIZE"),
        PoolShare("web", 2, DEFAULT_POOL_MOST, default),
        PoolShare("worker", 1, DEFAULT_POOL_MOST, default),
        # its job store's engine, used from the one scheduler thread, and the leader's lock
        PoolShare("scheduler", 1, DEFAULT_POOL_MOST + 2, default + ", + job store 1, + leader lock 1"),
        PoolShare("discord", 1, DEFAULT_POOL_MOST, default),
    )


def connections_warning(settings: Settings, limit: ConnectionLimit) -> str | None:
    """Why the scale-out layout's pools could run the server out of connections; None when
    they fit in what a role that is not a superuser may open."""
    layout = scale_out_layout(settings)
    most = sum(share.count * share.each for share in layout)
    if most <= limit.usable:
        return None
    shares = ", ".join(f"{share.count} {share.process} × {share.each}" for share in layout)
    return (f"PostgreSQL connections: the README's scale-out layout can open up to {most} ({shares}) "
            f"but the server allows {limit.usable} (max_connections {limit.max_connections} less "
            f"{limit.reserved} reserved for superusers); under load the last to connect fail with "
            f"\"too many clients\". Raise max_connections to at least {most + limit.reserved}, lower "
            f"DEPUTY_PLANNER_POOL_SIZE, or run fewer processes (README: Connections).")


async def check_connections(database: Database, settings: Settings) -> None:
    """Logs :func:`connections_warning` at a server process's start (PostgreSQL only)."""
    try:
        limit = await connection_limit(database)
    except DatabaseUnavailable as err:
        log.warning("PostgreSQL connections: max_connections could not be read (%s)", err)
        return
    warning = connections_warning(settings, limit) if limit is not None else None
    if warning is not None:
        log.warning(warning)
