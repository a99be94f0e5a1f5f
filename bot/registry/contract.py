"""The contract between the executor and an integration's typed actions.

An integration's ``actions.py`` builds an :class:`ActionSet`: a client factory plus one
async function per manifest action. The executor validates arguments against the manifest
schema, then calls ``fn(client, ctx, **args)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.domain import Actor

ActionFn = Callable[..., Awaitable[dict[str, Any]]]


class HostSettings(Protocol):
    """What of Deputy's own settings an integration may read. Settings of a provider (its
    URL, its OAuth app) belong to the integration that talks to it."""

    # how long one call may take; a client's own timeouts end inside it
    step_timeout_seconds: float
    # Deputy's data folder, for files an integration keeps (the browser's screenshots)
    home: Path


@dataclass(frozen=True)
class IntegrationEnv:
    """What the process gives an integration when it builds its client."""

    settings: HostSettings  # bot.settings.Settings in the process
    database: Any  # bot.store.Database, for integrations that keep their data in Deputy's db
    # the process clock (aware datetimes); tests inject a fixed one
    clock: Callable[[], datetime] | None = None
    # this integration's own settings: an instance of the IntegrationSettings subclass its
    # settings.py declares (bot/integration_settings.py); None when it declares none
    config: Any = None


@dataclass(frozen=True)
class CallContext:
    """Everything one call may use. Credentials live here only for the length of the call."""

    idempotency_key: str
    actor: Actor
    timezone: str = "UTC"
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    # the team the call is made for (the goal's team): an integration that keeps data in
    # Deputy's database (``local``) keeps each team's apart by it; "" → the actor's team
    team_key: str = ""

    def __post_init__(self) -> None:
        if not self.team_key:
            object.__setattr__(self, "team_key", self.actor.team_key)


@dataclass
class ActionSet:
    integration: str
    client_factory: Callable[[IntegrationEnv], Any]
    functions: dict[str, ActionFn] = field(default_factory=dict)

    def action(self, name: str) -> Callable[[ActionFn], ActionFn]:
        def register(fn: ActionFn) -> ActionFn:
            if name in self.functions:
                raise ValueError(f"{self.integration}: action {name!r} registered twice")
            self.functions[name] = fn
            return fn

        return register
