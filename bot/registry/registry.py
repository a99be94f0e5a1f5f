"""Discovers integrations: every folder under ``integrations/`` with a manifest.yaml.

Built-in and third-party integrations load the same way: a manifest and an ``actions``
module exposing ``actions: ActionSet``. A broken integration stops start-up with its name
and the reason; it is never silently skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import integrations as integrations_package
from bot.errors import ManifestError, SettingsError
from bot.integration_settings import (
    IntegrationSettings,
    IntegrationSource,
    IntegrationSourceError,
    build_settings,
    entry_point_names,
    import_part,
    integration_sources,
    settings_model,
)
from bot.registry.contract import ActionFn, ActionSet, IntegrationEnv
from bot.registry.manifest import ActionSpec, Manifest, load_manifest


@dataclass
class LoadedIntegration:
    manifest: Manifest
    actions: ActionSet
    client: Any = None
    # checks credentials at connect time (raises ReconnectNeeded / PermanentError); optional
    check_credentials: Callable[[Mapping[str, str]], Awaitable[None]] | None = None
    # the integration's own settings: the model its settings.py declares, and its values
    settings_model: type[IntegrationSettings] | None = None
    settings: IntegrationSettings | None = None


class Registry:
    def __init__(self, loaded: Iterable[LoadedIntegration]) -> None:
        self._by_name = {item.manifest.name: item for item in loaded}

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def manifests(self) -> list[Manifest]:
        return [self._by_name[n].manifest for n in self.names]

    def get(self, integration: str) -> LoadedIntegration | None:
        return self._by_name.get(integration)

    def spec(self, action: str) -> ActionSpec | None:
        """The spec of ``integration.action``, or None when nothing offers it."""
        integration, _, name = action.partition(".")
        loaded = self._by_name.get(integration)
        return loaded.manifest.action(name) if loaded else None

    def for_team(self, team_key: str | None) -> TeamCatalog:
        """The actions goals of ``team_key`` may use: another team's integrations are unknown."""
        return TeamCatalog(self, team_key)

    def function(self, action: str) -> tuple[Any, ActionFn]:
        integration, _, name = action.partition(".")
        loaded = self._by_name[integration]
        return loaded.client, loaded.actions.functions[name]

    def add(self, loaded: LoadedIntegration) -> None:
        """Adds an integration built at run time (e.g. one per configured MCP server)."""
        name = loaded.manifest.name
        if name in self._by_name:
            raise ManifestError(f"two integrations are named {name!r}")
        self._by_name[name] = loaded

    def configure(self, settings: Any) -> None:
        """Read each integration's own settings; values given to ``settings`` (its extra
        fields, as tests pass them) beat the environment and deputy.toml."""
        given = getattr(settings, "model_extra", None) or {}
        for item in self._by_name.values():
            if item.settings_model is not None:
                item.settings = build_settings(item.settings_model, given)
            _check_oauth_app(item, settings)

    def start(self, env: IntegrationEnv) -> None:
        if any(i.settings is None and i.settings_model is not None for i in self._by_name.values()):
            self.configure(env.settings)
        for item in self._by_name.values():
            item.client = item.actions.client_factory(replace(env, config=item.settings))

    async def aclose(self) -> None:
        """Closes the clients that hold connections (they expose ``async aclose()``)."""
        for item in self._by_name.values():
            close = getattr(item.client, "aclose", None)
            if close is not None:
                await close()


class TeamCatalog:
    """The registry as one team sees it (``Registry.for_team``)."""

    def __init__(self, registry: Registry, team_key: str | None) -> None:
        self._registry = registry
        self.team_key = team_key

    def spec(self, action: str) -> ActionSpec | None:
        loaded = self._registry.get(action.partition(".")[0])
        if loaded is None or not loaded.manifest.serves(self.team_key):
            return None
        return self._registry.spec(action)


def _load_one(source: IntegrationSource) -> LoadedIntegration:
    folder = source.folder
    entry_point = source.name if folder.name != source.name else None
    manifest = load_manifest(folder / "manifest.yaml", entry_point)
    module = import_part(source, "actions")
    action_set = getattr(module, "actions", None)
    if not isinstance(action_set, ActionSet):
        raise ManifestError(f"{folder}/actions.py must define `actions = ActionSet(...)`")
    declared = {a.name for a in manifest.actions}
    implemented = set(action_set.functions)
    if declared != implemented:
        missing = ", ".join(sorted(declared - implemented)) or "-"
        extra = ", ".join(sorted(implemented - declared)) or "-"
        raise ManifestError(
            f"{source.name}: manifest and actions.py disagree (not implemented: {missing}; "
            f"not in manifest: {extra})"
        )
    model = settings_model(source)
    _check_oauth_settings(source.name, manifest, model)
    client = import_part(source, "client") if source.package is not None else None
    return LoadedIntegration(manifest=manifest, actions=action_set, settings_model=model,
                             check_credentials=getattr(client, "check_credentials", None))


def _check_oauth_settings(name: str, manifest: Manifest,
                          model: type[IntegrationSettings] | None) -> None:
    if manifest.oauth is None:
        return
    fields = set(model.model_fields) if model is not None else set()
    named = manifest.oauth.settings.model_dump(exclude_none=True)
    unknown = sorted(f for f in named.values() if f not in fields)
    if unknown:
        raise ManifestError(f"{name}: oauth.settings names {', '.join(unknown)}, which its settings.py "
                            "does not declare (a subclass of IntegrationSettings)")


def _check_oauth_app(item: LoadedIntegration, settings: Any) -> None:
    """An OAuth app needs its secret and the public URL the provider sends people back to."""
    oauth = item.manifest.oauth
    if oauth is None or item.settings is None:
        return
    names = oauth.settings
    if not getattr(item.settings, names.client_id, None):
        return
    if not str(getattr(settings, "public_url", "") or ""):
        raise SettingsError(f"DEPUTY_PUBLIC_URL: required when DEPUTY_{names.client_id.upper()} is "
                            f"set ({oauth.title} sends people back to PUBLIC_URL/oauth/callback)")
    if not getattr(item.settings, names.client_secret, None):
        raise SettingsError(f"DEPUTY_{names.client_secret.upper()}: required when "
                            f"DEPUTY_{names.client_id.upper()} is set")


class UnknownIntegrations(ManifestError):
    """Enabled names that no integration folder has."""

    def __init__(self, unknown: list[str], available: list[str]) -> None:
        super().__init__(f"unknown integration(s) enabled: {', '.join(unknown)}")
        self.unknown = unknown
        self.available = available


def discover(enabled: Iterable[str] | None = None, extra_paths: Iterable[Path] = ()) -> Registry:
    """Load integrations from the ``integrations`` package, from ``extra_paths`` (folders
    holding third-party integration folders) and from installed packages' entry points
    (group ``deputy.integrations``); ``enabled`` limits which ones."""
    wanted = set(enabled) if enabled is not None else None
    loaded: list[LoadedIntegration] = []
    seen: set[str] = set()
    try:
        for source in integration_sources(extra_paths, wanted):
            if source.name in seen:
                raise ManifestError(f"two integrations are named {source.name!r} ({source.folder})")
            seen.add(source.name)
            loaded.append(_load_one(source))
    except IntegrationSourceError as err:
        raise ManifestError(str(err)) from err
    if wanted is not None:
        unknown = wanted - {item.manifest.name for item in loaded}
        if unknown:
            available = sorted({p.name for root in [_builtin_root(), *map(Path, extra_paths)]
                                for p in root.iterdir() if (p / "manifest.yaml").is_file()}
                               | set(entry_point_names()))
            raise UnknownIntegrations(sorted(unknown), available)
    return Registry(loaded)


def _builtin_root() -> Path:
    return Path(integrations_package.__file__).parent
