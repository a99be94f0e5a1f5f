"""Start-up mistakes as one line each: a :class:`SettingsError` naming the setting and the fix.

``build_app`` loads the integrations and the policy through these before it touches the
database, so a mistake stops the process before anything is created.
"""

from __future__ import annotations

import difflib

from bot.errors import ManifestError, PolicyError, SettingsError
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
