"""What every part of the executor shares: a run in progress, a step's failure, the
idempotency key of each call, and one call made with the requester's own credentials."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.domain import Actor
from bot.errors import NotConnected
from bot.execution.calls import call_action
from bot.registry import CallContext
from bot.store.goals import PlanView
from bot.store.plain_tx import PlainTx
from bot.store.tables import StepRow
from bot.vault import oauth

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


class LeaseLost(Exception):
    """The run is no longer this worker's (cancelled, or taken over after its lease lapsed):
    the step was not started."""


class StepFailed(Exception):
    """``check``, for a write whose outcome is unknown, says what a person must look at.
    ``stopped``: the step did not fail itself; another one did and its calls not yet sent
    were held back. ``went_through``: the calls of a ``for_each`` step that succeeded before
    it failed, each ``{"item": index, "args": ..., "result": ...}`` (recorded as the failed
    step's result, and told to the re-planner so that it does not repeat them)."""

    def __init__(self, step: StepRow, message: str, check: str = "", *, stopped: bool = False) -> None:
        super().__init__(message)
        self.step = step
        self.check = check
        self.stopped = stopped
        self.went_through: list[dict[str, Any]] = []


@dataclass
class RunInProgress:
    """One run being executed: its plan, its requester, the outputs so far (by step id, filled
    as steps finish, in any order) and ``stop``, set by the first failure so that no call
    is sent after it (calls already under way finish and are recorded)."""

    app: Deputy
    run_id: int
    view: PlanView
    requester: Actor
    outputs: dict[str, Any]
    worker_id: str = ""
    # step ids that have a row already (a resumed run's started or failed steps): the others'
    # rows are inserted without looking for one first
    recorded: set[str] = field(default_factory=set)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    lease_lost: bool = False  # a step's transaction found the run no longer ours
    # one transaction of this run at a time: its steps' and items' records would otherwise
    # queue on SQLite's write lock through the driver's busy-wait (sleeps of up to 100 ms)
    # instead of the event loop; PostgreSQL serialises the audit appends anyway
    _writing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Any]:
        """A session of the run's team (its goal's): it sees and writes only that team's rows."""
        async with self._writing, self.app.database.session(team=self.view.goal.team_key) as session:
            yield session

    @asynccontextmanager
    async def plain(self) -> AsyncIterator[PlainTx]:
        """The same on a Core connection, for plain statements only (bot/store/plain_tx.py)."""
        async with self._writing, self.app.database.plain(team=self.view.goal.team_key) as tx:
            yield tx

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """The run's turn at the database, for work that opens its own sessions."""
        async with self._writing:
            yield

    @property
    def parallel(self) -> bool:
        return self.app.settings.parallel_steps > 1


def what_to_check(step: StepRow, args: Any) -> str:
    shown = json.dumps(args, ensure_ascii=False, default=str)
    shown = shown if len(shown) <= 300 else shown[:299] + "…"
    integration = step.action.split(".", 1)[0]
    return (f"step {step.position} ({step.action} {shown}) may already have happened in "
            f"{integration}. Look there before approving: if it did, take that step out of "
            "this plan, or it will happen twice.")


def idempotency_key(run_id: int, step_id: str, item: int | None = None) -> str:
    base = f"deputy-run{run_id}-{step_id}"
    return base if item is None else f"{base}-{item}"


async def call_with_credentials(app: Deputy, requester: Actor, action: str, args: dict[str, Any],
                                key: str, *, stop: asyncio.Event | None = None) -> Any:
    """One call with the requester's own credentials, decrypted here and dropped on return
    (they live only in this frame)."""
    ctx = CallContext(idempotency_key=key, actor=requester, timezone=requester.timezone,
                      credentials=await _credentials(app, requester, action))
    return await call_action(app.registry, app.settings, action, args, ctx, stop=stop)


async def _credentials(app: Deputy, requester: Actor, action: str) -> Mapping[str, str]:
    integration = action.split(".", 1)[0]
    loaded = app.registry.get(integration)
    if loaded is None or not loaded.manifest.credentials:
        return {}
    fields = await app.vault.get(requester.key, integration) if app.vault else None
    if fields is None and loaded.manifest.connection_optional:
        return {}  # e.g. the browser on a public page: no login of theirs to use
    if fields is None:
        raise NotConnected(integration)
    # OAuth: refreshed when about to expire; a failed refresh raises ReconnectNeeded
    provider = oauth.provider_for(app.settings, integration, loaded.manifest.oauth,
                                  loaded.settings) if oauth.is_oauth(fields) else None
    return await oauth.usable_credentials(provider, app.vault, requester.key, integration,
                                          fields, app.clock()) if app.vault else fields
