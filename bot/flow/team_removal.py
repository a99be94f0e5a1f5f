"""A chat platform took Deputy out of a team (Slack: app uninstalled, bot token revoked), or
put it in one (Slack: "Add to Slack").

Removal archives the team (bot/flow/team_lifecycle.py: status ``archived``, queued and running
runs cancelled, monitors paused) and also cancels its goals still waiting for people, with
their proposed plan versions (bot/store/team_closing.py), each in a session of that team:
another team's goals are never read. An install makes the team active again (a team that
had been archived included). Both are audited in the team's own chain."""

from __future__ import annotations

import logging

from bot.core.deputy import Deputy
from bot.flow import team_lifecycle
from bot.store import audit
from bot.store.team_closing import cancel_open_work

log = logging.getLogger(__name__)


async def team_removed(app: Deputy, platform: str, team_ids: list[str], why: str, *,
                       enterprise_id: str | None = None) -> list[int]:
    """Archive these teams and cancel their open goals; the ids of the goals cancelled."""
    cancelled: list[int] = []
    for team_id in team_ids:
        team = f"{platform}:{team_id}"
        archived = await team_lifecycle.archive(app, team, why=why.removeprefix("Deputy was ").lower())
        async with app.database.session(team=team) as session:
            ids = await cancel_open_work(session, platform, [team_id], why)
            await audit.append(session, f"{platform}_team_removed", team_key=team, data={
                "team": team_id, "enterprise": enterprise_id, "why": why, "goals_cancelled": ids,
                "runs_cancelled": archived.runs_cancelled, "monitors_paused": archived.monitors_paused})
        cancelled += ids
    log.info("%s: %s: %d open goal(s) cancelled in %s", platform, why, len(cancelled), ", ".join(team_ids))
    return cancelled


async def installed(app: Deputy, platform: str, team_id: str | None, *, enterprise: bool, name: str) -> None:
    team = f"{platform}:{team_id}"
    await team_lifecycle.joined(app, team, name, rejoined=True)
    async with app.database.session(team=team) as session:
        await audit.append(session, f"{platform}_installed", team_key=team, data={
            "team": team_id, "enterprise_install": enterprise, "name": name})
    log.info("%s: installed in %s %s (%s)", platform, "org" if enterprise else "workspace", team_id, name)
