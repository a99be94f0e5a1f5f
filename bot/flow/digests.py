"""A finished monitor run becomes a digest in its channel, or nothing when its condition
says so, or a private word to its owner when it failed (never a broken digest)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.chat.replies import Answer, Notice
from bot.domain import Where
from bot.flow.answers import leaf_answers, spec_lookup
from bot.flow.cards import summarise_output
from bot.scheduling.model import Digest, PostWhen, Schedule
from bot.scheduling.phrases import describe
from bot.scheduling.post_when import findings, fingerprint, should_post
from bot.scheduling.service import next_run
from bot.scheduling.template import render
from bot.store import firings, goals
from bot.store import monitors as store
from bot.store.goals import PlanView
from bot.store.monitors import FiringOutcome, MonitorRow
from bot.store.tables import StepRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

# a firing queued this long after its scheduled time (downtime, takeover) is marked late
LATE_AFTER = timedelta(minutes=5)


def build_digest(monitor: MonitorRow, view: PlanView, run_id: int, outputs: dict[str, Any],
                 late: bool, now_next: str, answers: tuple[Answer, ...] = ()) -> Digest:
    assert monitor.id is not None
    lines = render(monitor.template, outputs) if monitor.template else [
        f"{s.position}. {s.note or s.action}: {summarise_output(outputs.get(s.step_id)) or 'done'}"
        for s in view.steps]
    found = findings(outputs)
    schedule = describe(Schedule.from_json(monitor.schedule))
    return Digest(monitor_id=monitor.id, title=monitor.name + (" (late: Deputy was down)" if late else ""),
                  lines=tuple(lines), footer=f"{schedule} ({monitor.timezone}) · {now_next}",
                  details_ref=f"run {run_id}", offer=monitor.follow_up if found else "", late=late,
                  answers=answers)


async def report_monitor_run(app: Deputy, view: PlanView, run_id: int, outputs: dict[str, Any],
                             failed: StepRow | None, error: str) -> bool:
    """Report a finished run that belongs to a monitor; False when it does not."""
    assert view.goal.id is not None
    async with app.database.session(team=view.goal.team_key) as session:
        firing = await firings.firing_of_goal(session, view.goal.id)
        monitor = await store.get_monitor(session, firing.monitor_id) if firing else None
    if firing is None or monitor is None:
        return False
    where = Where(platform=monitor.platform, channel_id=monitor.channel_id, team=monitor.team_key)
    port = app.port(monitor.platform)
    if failed is not None:
        await _set_outcome(app, view.goal.team_key, firing.id, FiringOutcome.FAILED, error[:500])
        async with app.database.session(team=view.goal.team_key) as session:
            owner = await goals.get_actor(session, monitor.owner_key)
        if owner:
            await port.post_private(where, owner, Notice(
                f"Your monitor “{monitor.name}” failed at step {failed.position}: {error[:300]}. "
                "Nothing was posted to the channel.", tone="warning"))
        return True
    if not should_post(PostWhen(monitor.condition), outputs, monitor.last_fingerprint):
        await _set_outcome(app, view.goal.team_key, firing.id, FiringOutcome.QUIET, "")
        return True
    upcoming = next_run(monitor, app.clock())
    now_next = f"next {upcoming.astimezone(_tz(monitor)):%a %d %b %H:%M}" if upcoming else "paused"
    late = firing.enqueued_at - firing.scheduled_at > LATE_AFTER
    answers = leaf_answers(list(view.steps), outputs, spec_lookup(app.registry), run_id)
    digest = build_digest(monitor, view, run_id, outputs, late, now_next, answers)
    async with app.database.session(team=view.goal.team_key) as session:
        await store.set_digested(session, monitor.id or 0, fingerprint(outputs), app.clock())
    await _set_outcome(app, view.goal.team_key, firing.id, FiringOutcome.POSTED, "")
    await port.post(where, digest)  # each adapter renders it natively
    return True


def _tz(monitor: MonitorRow) -> Any:
    return ZoneInfo(monitor.timezone)


async def _set_outcome(app: Deputy, team: str, firing_id: int | None, outcome: str, detail: str) -> None:
    async with app.database.session(team=team) as session:
        await firings.set_outcome(session, firing_id, outcome, detail)
