"""Firings of monitors: queue a run for the workers, exactly once per scheduled time.

The firing row, the goal, the approved plan version and the queued run are written in one
transaction; the unique (monitor, scheduled time) makes a second firing of the same time
(a scheduler that took over, a job APScheduler had not yet marked done) a no-op. Firings
due together are written together (:func:`enqueue_batch`), so 10,000 monitors cost a few
statements per batch rather than a few dozen per monitor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.chat.replies import Notice
from bot.domain import Effect, PlanDraft, Where
from bot.policy import Policy, evaluate_step
from bot.store import audit, firings, goals
from bot.store import monitors as store
from bot.store.database import Conflict, Session
from bot.store.firings import QueuedFiring
from bot.store.goals import StepVerdict
from bot.store.monitors import FiringOutcome, MonitorFiringRow, MonitorRow, MonitorStatus

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FiringResult:
    outcome: str  # queued | duplicate | inactive | no_credentials | failed
    run_id: int | None = None
    missing: tuple[str, ...] = ()


async def missing_credentials(app: Deputy, owner_key: str, draft: PlanDraft,
                              cache: dict[str, set[str]] | None = None) -> list[str]:
    """Integrations the plan uses that need credentials the owner has not connected."""
    needed = sorted({s.integration for s in draft.steps
                     if (loaded := app.registry.get(s.integration)) is not None and loaded.manifest.credentials})
    if not needed:
        return []
    cache = {} if cache is None else cache
    if owner_key not in cache:
        cache[owner_key] = {c.integration for c in await app.vault.list_for(owner_key)} if app.vault else set()
    return [name for name in needed if name not in cache[owner_key]]


async def enqueue_firing(app: Deputy, monitor_id: int, scheduled_at: datetime, *,
                         manual: bool = False) -> FiringResult:
    [result] = await enqueue_batch(app, [(monitor_id, scheduled_at)], manual=manual)
    return result


async def enqueue_batch(app: Deputy, items: list[tuple[int, datetime]], *,
                        manual: bool = False) -> list[FiringResult]:
    items = [(m, t.astimezone(UTC)) for m, t in items]
    async with app.database.session(all_teams=True) as session:
        monitors = await store.monitors_by_id(session, {m for m, _ in items})
        # each owner's team policy once per batch, in this session: resolving it per firing
        # opened a session (and read the policy's version) for each of hundreds of firings
        owners_policy = {owner: await app.policy_of(owner, session)
                         for owner in sorted({m.owner_key for m in monitors.values()})}
    results: dict[int, FiringResult] = {}
    batch: list[QueuedFiring] = []
    owners: dict[str, set[str]] = {}
    for n, (monitor_id, scheduled_at) in enumerate(items):
        monitor = monitors.get(monitor_id)
        if monitor is None or (monitor.status != MonitorStatus.ACTIVE and not manual):
            results[n] = FiringResult("inactive")
            continue
        draft = PlanDraft.model_validate(monitor.plan)
        verdicts = _verdicts(owners_policy[monitor.owner_key], draft)
        if any(v.verdict == "deny" for v in verdicts):
            results[n] = FiringResult(FiringOutcome.FAILED)  # the policy changed since approval
            continue
        missing = await missing_credentials(app, monitor.owner_key, draft, owners)
        batch.append(QueuedFiring(monitor, scheduled_at, draft, verdicts, manual, app.clock(), tuple(missing)))
    written = await _write(app, batch)
    _record_lag(app, batch, written)
    queued = iter(zip(batch, written, strict=True))
    for n in range(len(items)):
        if n in results:
            continue
        item, firing = next(queued)
        if firing is None:
            results[n] = FiringResult("duplicate")
        elif item.missing:
            results[n] = FiringResult(FiringOutcome.NO_CREDENTIALS, missing=item.missing)
            await _tell_owner(app, item.monitor, list(item.missing))
        else:
            results[n] = FiringResult(FiringOutcome.QUEUED, run_id=firing.run_id)
    if any(r.outcome == FiringOutcome.QUEUED for r in results.values()):
        app.work_available.set()
    return [results[n] for n in range(len(items))]


def _record_lag(app: Deputy, batch: list[QueuedFiring], written: list[MonitorFiringRow | None]) -> None:
    """deputy_scheduler_lag_seconds: from a firing's scheduled time to its commit, for the
    scheduled (not manual) firings this process just wrote; a batch reports its latest."""
    committed = app.clock()
    lags = [(committed - q.scheduled_at).total_seconds()
            for q, row in zip(batch, written, strict=True) if row is not None and not q.manual]
    if lags:
        metrics.SCHEDULER_LAG.set(max(0.0, max(lags)))


def _verdicts(policy: Policy, draft: PlanDraft) -> list[StepVerdict]:
    """The verdicts of ``policy`` (the monitor's owner's team's) on its plan, now."""
    verdicts = []
    for step in draft.steps:
        decision = evaluate_step(policy, step, Effect.READ)
        verdicts.append(StepVerdict(effect=Effect.READ.value, verdict=decision.verdict.value,
                                    reason=decision.reason, rule=decision.rule))
    return verdicts


async def _write(app: Deputy, batch: list[QueuedFiring]) -> list[MonitorFiringRow | None]:
    if not batch:
        return []
    try:
        async with app.database.session(all_teams=True) as session:
            written = await firings.queue_firings(session, batch)
            await _audit(session, written, batch)
        return written
    except Conflict as err:
        if len(batch) == 1:
            log.info("firing of monitor %s at %s already written (%s)", batch[0].monitor.id,
                     batch[0].scheduled_at, err)
            return [None]  # another scheduler wrote this very firing a moment ago
        log.warning("a batch of %d firings hit a duplicate; writing them one by one", len(batch))
    # a concurrent duplicate somewhere in the batch: write one by one, skipping it
    return [row for q in batch for row in await _write(app, [q])]


async def _audit(session: Session, written: list[MonitorFiringRow | None], batch: list[QueuedFiring]) -> None:
    by_team: dict[str | None, list[dict[str, Any]]] = {}
    for q, f in zip(batch, written, strict=True):
        if f:
            by_team.setdefault(audit.team_of_actor(q.monitor.owner_key), []).append(
                {"monitor": q.monitor.id, "scheduled": q.scheduled_at.isoformat(), "run": f.run_id,
                 "manual": q.manual, "outcome": f.outcome})
    for team, entries in by_team.items():
        # one audit record per team and batch: a chain is sequential, one append per firing
        # would serialise every firing of the team behind it
        await audit.append(session, "monitor_fired", data={"firings": entries}, team_key=team)


async def _tell_owner(app: Deputy, monitor: MonitorRow, missing: list[str]) -> None:
    async with app.database.session(team=monitor.team_key) as session:
        owner = await goals.get_actor(session, monitor.owner_key)
    if owner is None:
        log.warning("monitor %s: owner %s must connect %s, but is not known", monitor.id,
                    monitor.owner_key, missing)
        return
    text = (f"Your monitor “{monitor.name}” did not run: connect {', '.join(missing)} first "
            f"(say `connect {missing[0]}`). Nothing was posted to the channel.")
    await app.port(monitor.platform).post_private(Where(platform=monitor.platform, channel_id=monitor.channel_id, team=monitor.team_key),
                            owner, Notice(text, tone="warning"))
