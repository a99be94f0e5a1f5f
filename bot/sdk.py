"""Everything an integration may import from Deputy; ``make lint`` refuses any other import
of ``bot`` from ``integrations/`` (the import-linter contract in pyproject.toml).

An integration is a folder with a ``manifest.yaml`` and an ``actions.py`` that defines
``actions = ActionSet(name, client_factory)``; each action is ``async fn(client, ctx, **args)``
returning a JSON-able dict. Built-in and third-party integrations use the same names:

- the contract: :class:`ActionSet`, :class:`CallContext` (credentials for one call, the
  requester, their time zone, the idempotency key, the team), :class:`IntegrationEnv` (Deputy's
  :class:`HostSettings`, the database, the clock);
- the errors a call raises: :class:`TransientError` (with ``sent``: may the request have
  reached the provider?) and ``retry_after``, :class:`PermanentError`,
  :class:`ReconnectNeeded`, :class:`InvalidArguments`, :class:`NotConnected`;
  :func:`error_for_status` maps an HTTP answer onto them;
- :class:`IntegrationSettings`, the base of the settings model an integration declares in
  its ``settings.py`` (read as ``DEPUTY_<FIELD>``; the client factory gets it as ``env.config``);
- :class:`HttpApi`, the base of a client for one HTTP API (URL, timeouts, pooled
  connection, close), and :func:`scrub`;
- :class:`TeamScoped`, the base of a table whose rows belong to one team (``team_key``);
- time helpers for ISO 8601 arguments and IANA zones;
- for an integration that builds its actions at start-up (MCP): :class:`Manifest`,
  :class:`ActionSpec`, :class:`Effect`, :class:`LoadedIntegration`, :class:`Registry`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.domain import LOCAL_TEAM, Actor, Effect
    from bot.errors import (
        DatabaseUnavailable,
        IntegrationError,
        InvalidArguments,
        NotConnected,
        PermanentError,
        ReconnectNeeded,
        SettingsError,
        TransientError,
    )
    from bot.integration_settings import IntegrationSettings
    from bot.registry.contract import ActionFn, ActionSet, CallContext, HostSettings, IntegrationEnv
    from bot.registry.http_client import HttpApi, scrub, system_now
    from bot.registry.http_errors import (
        NOT_PROCESSED_STATUSES,
        error_for_status,
        retry_after_seconds,
    )
    from bot.registry.manifest import ActionSpec, Manifest, ManifestError
    from bot.registry.registry import LoadedIntegration, Registry
    from bot.registry.times import (
        as_aware,
        human,
        iso,
        parse_date,
        parse_datetime,
        utc,
        zone,
        zone_or_utc,
    )
    from bot.store.types import TeamScoped, UTCDateTime

# each name is imported at its first use (PEP 562): an integration's settings.py, imported
# while settings are read, then loads neither SQLAlchemy nor the registry (docs/benchmarks.md)
_WHERE = {
    "ActionFn": "bot.registry.contract",
    "ActionSet": "bot.registry.contract",
    "ActionSpec": "bot.registry.manifest",
    "Actor": "bot.domain",
    "CallContext": "bot.registry.contract",
    "DatabaseUnavailable": "bot.errors",
    "Effect": "bot.domain",
    "HostSettings": "bot.registry.contract",
    "HttpApi": "bot.registry.http_client",
    "IntegrationEnv": "bot.registry.contract",
    "IntegrationError": "bot.errors",
    "IntegrationSettings": "bot.integration_settings",
    "InvalidArguments": "bot.errors",
    "LOCAL_TEAM": "bot.domain",
    "LoadedIntegration": "bot.registry.registry",
    "Manifest": "bot.registry.manifest",
    "ManifestError": "bot.registry.manifest",
    "NOT_PROCESSED_STATUSES": "bot.registry.http_errors",
    "NotConnected": "bot.errors",
    "PermanentError": "bot.errors",
    "ReconnectNeeded": "bot.errors",
    "Registry": "bot.registry.registry",
    "SettingsError": "bot.errors",
    "TeamScoped": "bot.store.types",
    "TransientError": "bot.errors",
    "UTCDateTime": "bot.store.types",
    "as_aware": "bot.registry.times",
    "error_for_status": "bot.registry.http_errors",
    "human": "bot.registry.times",
    "iso": "bot.registry.times",
    "parse_date": "bot.registry.times",
    "parse_datetime": "bot.registry.times",
    "retry_after_seconds": "bot.registry.http_errors",
    "scrub": "bot.registry.http_client",
    "system_now": "bot.registry.http_client",
    "utc": "bot.registry.times",
    "zone": "bot.registry.times",
    "zone_or_utc": "bot.registry.times",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "LOCAL_TEAM",
    "NOT_PROCESSED_STATUSES",
    "ActionFn",
    "ActionSet",
    "ActionSpec",
    "Actor",
    "CallContext",
    "DatabaseUnavailable",
    "Effect",
    "HostSettings",
    "HttpApi",
    "IntegrationEnv",
    "IntegrationError",
    "IntegrationSettings",
    "InvalidArguments",
    "LoadedIntegration",
    "Manifest",
    "ManifestError",
    "NotConnected",
    "PermanentError",
    "ReconnectNeeded",
    "Registry",
    "SettingsError",
    "TeamScoped",
    "TransientError",
    "UTCDateTime",
    "as_aware",
    "error_for_status",
    "human",
    "iso",
    "parse_date",
    "parse_datetime",
    "retry_after_seconds",
    "scrub",
    "system_now",
    "utc",
    "zone",
    "zone_or_utc",
]
