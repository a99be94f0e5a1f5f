"""Discovers integrations: every folder under ``integrations/`` with a manifest.yaml.

Built-in and third-party integrations load the same way: a manifest and an ``actions``
module exposing ``actions: ActionSet``. A broken integration stops start-up with its name
and the reason; it is never silently skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import integrations as integrations_package
from bot.registry.contract import ActionFn, ActionSet, IntegrationEnv
from bot.registry.manifest import ActionSpec, Manifest, ManifestError, load_manifest


@dataclass
class LoadedIntegration:
    manifest: Manifest
    actions: ActionSet
    client: Any = None


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

    def function(self, action: str) -> tuple[Any, ActionFn]:
        integration, _, name = action.partition(".")
        loaded = self._by_name[integration]
        return loaded.client, loaded.actions.functions[name]

    def start(self, env: IntegrationEnv) -> None:
        for item in self._by_name.values():
            item.client = item.actions.client_factory(env)


def _load_one(folder: Path, package: str) -> LoadedIntegration:
    manifest = load_manifest(folder / "manifest.yaml")
    module = importlib.import_module(f"{package}.{folder.name}.actions")
    action_set = getattr(module, "actions", None)
    if not isinstance(action_set, ActionSet):
        raise ManifestError(f"{folder}/actions.py must define `actions = ActionSet(...)`")
    declared = {a.name for a in manifest.actions}
    implemented = set(action_set.functions)
    if declared != implemented:
        missing = ", ".join(sorted(declared - implemented)) or "-"
        extra = ", ".join(sorted(implemented - declared)) or "-"
        raise ManifestError(
            f"{folder.name}: manifest and actions.py disagree (not implemented: {missing}; "
            f"not in manifest: {extra})"
        )
    return LoadedIntegration(manifest=manifest, actions=action_set)


def discover(enabled: Iterable[str] | None = None) -> Registry:
    """Load integrations from the ``integrations`` package; ``enabled`` limits which ones."""
    wanted = set(enabled) if enabled is not None else None
    root = Path(integrations_package.__file__).parent
    loaded = []
    for folder in sorted(p for p in root.iterdir() if (p / "manifest.yaml").is_file()):
        if wanted is not None and folder.name not in wanted:
            continue
        loaded.append(_load_one(folder, integrations_package.__name__))
    if wanted is not None:
        unknown = wanted - {item.manifest.name for item in loaded}
        if unknown:
            raise ManifestError(f"unknown integration(s) enabled: {', '.join(sorted(unknown))}")
    return Registry(loaded)
