"""Discovers integrations: every folder under ``integrations/`` with a manifest.yaml.

Built-in and third-party integrations load the same way: a manifest and an ``actions``
module exposing ``actions: ActionSet``. A broken integration stops start-up with its name
and the reason; it is never silently skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import integrations as integrations_package
from bot.errors import ManifestError
from bot.registry.contract import ActionFn, ActionSet, IntegrationEnv
from bot.registry.manifest import ActionSpec, Manifest, load_manifest


@dataclass
class LoadedIntegration:
    manifest: Manifest
    actions: ActionSet
    client: Any = None
    # checks credentials at connect time (raises ReconnectNeeded / PermanentError); optional
    check_credentials: Callable[[Mapping[str, str]], Awaitable[None]] | None = None


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

    def add(self, loaded: LoadedIntegration) -> None:
        """Adds an integration built at run time (e.g. one per configured MCP server)."""
        name = loaded.manifest.name
        if name in self._by_name:
            raise ManifestError(f"two integrations are named {name!r}")
        self._by_name[name] = loaded

    def start(self, env: IntegrationEnv) -> None:
        for item in self._by_name.values():
            item.client = item.actions.client_factory(env)

    async def aclose(self) -> None:
        """Closes the clients that hold connections (they expose ``async aclose()``)."""
        for item in self._by_name.values():
            close = getattr(item.client, "aclose", None)
            if close is not None:
                await close()


def _import_actions(folder: Path, package: str | None) -> object:
    if package is not None:
        return importlib.import_module(f"{package}.{folder.name}.actions")
    # a third-party integration folder outside the package: load its actions.py by path
    name = f"deputy_integration_{folder.name}"
    if str(folder.parent) not in sys.path:
        sys.path.insert(0, str(folder.parent))
    return importlib.import_module(f"{folder.name}.actions") if (folder / "__init__.py").exists() \
        else _load_by_path(name, folder / "actions.py")


def _load_by_path(name: str, path: Path) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ManifestError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _load_one(folder: Path, package: str | None) -> LoadedIntegration:
    manifest = load_manifest(folder / "manifest.yaml")
    module = _import_actions(folder, package)
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
    return LoadedIntegration(manifest=manifest, actions=action_set,
                             check_credentials=_credential_check(module))


def _credential_check(actions_module: object) -> Any:
    """``check_credentials`` from the integration's client module, when it has one."""
    name = getattr(actions_module, "__name__", "")
    client_name = name.rsplit(".", 1)[0] + ".client" if "." in name else ""
    if not client_name:
        return None
    try:
        client = importlib.import_module(client_name)
    except ModuleNotFoundError as err:
        if err.name == client_name:
            return None
        raise
    return getattr(client, "check_credentials", None)


class UnknownIntegrations(ManifestError):
    """Enabled names that no integration folder has."""

    def __init__(self, unknown: list[str], available: list[str]) -> None:
        super().__init__(f"unknown integration(s) enabled: {', '.join(unknown)}")
        self.unknown = unknown
        self.available = available


def discover(enabled: Iterable[str] | None = None, extra_paths: Iterable[Path] = ()) -> Registry:
    """Load integrations from the ``integrations`` package and from ``extra_paths`` (folders
    holding third-party integration folders); ``enabled`` limits which ones."""
    wanted = set(enabled) if enabled is not None else None
    roots: list[tuple[Path, str | None]] = [(Path(integrations_package.__file__).parent,
                                             integrations_package.__name__)]
    roots += [(Path(p), None) for p in extra_paths]
    loaded: list[LoadedIntegration] = []
    seen: set[str] = set()
    for root, package in roots:
        if not root.is_dir():
            raise ManifestError(f"integration path {root} is not a folder")
        for folder in sorted(p for p in root.iterdir() if (p / "manifest.yaml").is_file()):
            if wanted is not None and folder.name not in wanted:
                continue
            if folder.name in seen:
                raise ManifestError(f"two integrations are named {folder.name!r} ({folder})")
            seen.add(folder.name)
            loaded.append(_load_one(folder, package))
    if wanted is not None:
        unknown = wanted - {item.manifest.name for item in loaded}
        if unknown:
            available = sorted(p.name for root, _ in roots for p in root.iterdir()
                               if (p / "manifest.yaml").is_file())
            raise UnknownIntegrations(sorted(unknown), available)
    return Registry(loaded)
