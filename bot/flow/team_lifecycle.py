"""Deputy added to a team, or removed from it (what adapters report as a TeamEvent).

Joining starts the team with no settings of its own: the default policy, the deployment's
role map. Removal archives the team: its status becomes ``archived`` (chat is refused from
then on), its queued and running runs are cancelled (a running worker stops before its next
step), its active monitors are paused. Nothing is deleted (``deputy teams delete`` does
that), and nothing of another team is touched: every row is found by the team's key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.events import TeamEvent, TeamJoined, TeamRemoved
from bot.domain import GoalStatus, RunStatus
from bot.store import audit, goals, monitors, runs, team_work, teams
from bot.store.monitors import MonitorStatus
from bot.store.teams import TeamStatus

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Archived:
    team_key: str
    runs_cancelled: int
    monitors_paused: int


async def on_team_event(app: Deputy, event: TeamEvent) -> None:
    key = teams.team_key(event.platform, event.team_id)
    if isinstance(event, TeamJoined):
        await joined(app, key, event.name, rejoined=event.joined)
    elif isinstance(event, TeamRemoved):
        done = await archive(app, key, why="removed from the team")
        log.info("team %s archived: %d runs cancelled, %d monitors paused",
                 key, done.runs_cancelled, done.monitors_paused)


async def joined(app: Deputy, key: str, name: str, *, rejoined: bool) -> None:
    """The team's row, created with the defaults; an archived team added again is active
    again (its cancelled runs stay cancelled, its paused monitors paused)."""
    async with app.database.session(team=key) as session:
        row, created = await teams.ensure(session, key, name)
        revived = rejoined and row.status == TeamStatus.ARCHIVED
        if revived:
            await teams.set_status(session, row, TeamStatus.ACTIVE)
        if created or revived:
            await audit.append(session, "team_joined", team_key=key,
                               data={"team": key, "name": name, "again": revived})


async def archive(app: Deputy, key: str, *, why: str) -> Archived:
    """Archive one team: status, runs, monitors, in one transaction."""
    # across teams on purpose: team_work finds the team's runs by their goal's team and its
    # monitors by their owner's key, explicitly, whatever team_key older rows were stamped with
    async with app.database.session(all_teams=True) as session:
        row, _ = await teams.ensure(session, key)
        await teams.set_status(session, row, TeamStatus.ARCHIVED)
        cancelled = 0
        for run in await team_work.open_runs(session, key):
            if run.id is not None:
                await runs.finish_run(session, run.id, RunStatus.CANCELLED, error=f"Deputy was {why}")
                cancelled += 1
            goal = await goals.get_goal(session, run.goal_id, lock=True)
            if goal is not None:
                await goals.set_goal_status(session, goal, GoalStatus.CANCELLED)
        paused = await team_work.active_monitors(session, key)
        for monitor in paused:
            monitor.status = MonitorStatus.PAUSED
            await monitors.touch(session, monitor, reschedule=True)
        await audit.append(session, "team_archived", team_key=key, data={
            "team": key, "why": why, "runs_cancelled": cancelled, "monitors_paused": len(paused)})
    return Archived(key, cancelled, len(paused))
