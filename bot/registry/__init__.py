"""The catalogue of actions: integration manifests, their discovery and the call contract."""

from bot.errors import ManifestError
from bot.registry.contract import ActionSet, CallContext, IntegrationEnv
from bot.registry.manifest import ActionSpec, Manifest, load_manifest
from bot.registry.registry import Registry, UnknownIntegrations, discover

__all__ = [
    "ActionSet",
    "ActionSpec",
    "CallContext",
    "IntegrationEnv",
    "Manifest",
    "ManifestError",
    "UnknownIntegrations",
    "Registry",
    "discover",
    "load_manifest",
]
