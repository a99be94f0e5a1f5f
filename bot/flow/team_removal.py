"""A chat platform took Deputy out of a team (Slack: app uninstalled, bot token revoked), or
put it in one (Slack: "Add to Slack"). Removal stops that team's open work and nothing else:
its open goals are cancelled with their queued or running runs and waiting plan versions
(bot/store/team_closing.py); another team's goals are never read. Both are audited."""

from __future__ import annotations

import logging

from bot.core.deputy import Deputy
from bot.store import audit
from bot.store.team_closing import cancel_open_work

log = logging.getLogger(__name__)


async def team_removed(app: Deputy, platform: str, team_ids: list[str], why: str, *,
                       enterprise_id: str | None = None) -> list[int]:
    """Cancel the open work of these teams, each in a session of its own team; the ids of
    the goals cancelled."""
    cancelled: list[int] = []
    for team_id in team_ids:
        team = f"{platform}:{team_id}"
        async with app.database.session(team=team) as session:
            ids = await cancel_open_work(session, platform, [team_id], why)
            await audit.append(session, f"{platform}_team_removed", team_key=team, data={
                "team": team_id, "enterprise": enterprise_id, "why": why, "goals_cancelled": ids})
        cancelled += ids
    log.info("%s: %s: %d open goal(s) cancelled in %s", platform, why, len(cancelled), ", ".join(team_ids))
    return cancelled


async def installed(app: Deputy, platform: str, team_id: str | None, *, enterprise: bool, name: str) -> None:
    async with app.database.session(team=f"{platform}:{team_id}") as session:
        await audit.append(session, f"{platform}_installed", team_key=f"{platform}:{team_id}", data={
            "team": team_id, "enterprise_install": enterprise, "name": name})
    log.info("%s: installed in %s %s (%s)", platform, "org" if enterprise else "workspace", team_id, name)
