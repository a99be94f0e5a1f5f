"""What ``deputy monitors`` does, as the text it prints; bot/cli/monitors.py (the commands)
imports this module only when a command runs. The CLI acts as an operator actor
(``cli:local:<user>``), in its own team, or with ``--team`` in that team (trusted there as the
operator is: any monitor of the team, whoever owns it)."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

from bot.domain import Actor, PlanDraft, Step, Where
from bot.errors import UserError
from bot.scheduling import service
from bot.scheduling.firing import missing_credentials
from bot.scheduling.model import PostWhen, Schedule
from bot.store import monitors as store
from bot.store import team_data
from bot.store.teams import split_key

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def operator(app: Deputy) -> Actor:
    return Actor(platform="cli", team_id="local", user_id=getpass.getuser(), timezone=app.settings.timezone)


async def _team(app: Deputy, team: str | None) -> str | None:
    """``--team``: the team key, checked to name a team Deputy knows (UserError if not)."""
    return await team_data.require(app.database, team) if team is not None else None


async def monitors_list(app: Deputy, platform: str | None = None, channel: str | None = None,
                        team: str | None = None) -> str:
    in_team = await _team(app, team)
    async with app.database.session(team=in_team, all_teams=in_team is None) as session:
        rows = await store.all_live(session)
    if platform and channel:
        rows = [r for r in rows if (r.platform, r.channel_id) == (platform, channel)]
    if not rows:
        return "No monitors."
    now = app.clock()
    lines = []
    for r in rows:
        upcoming = service.next_run(r, now)
        when = upcoming.isoformat(timespec="minutes") if upcoming else "—"
        lines.append(f"{r.id:>4}  {r.status:<8}  {r.platform}:{r.channel_id:<14}  "
                     f"{Schedule.from_json(r.schedule).describe():<28} next {when}  {r.name}")
    return "\n".join(lines)


async def act(app: Deputy, verb: str, monitor_id: int, team: str | None = None) -> str:
    """``pause``, ``resume``, ``run`` or ``delete`` one monitor, as the operator (in ``team``)."""
    actor, in_team = operator(app), await _team(app, team)
    if verb == "pause":
        await service.pause(app, monitor_id, actor, operator_in=in_team)
    elif verb == "resume":
        await service.resume(app, monitor_id, actor, operator_in=in_team)
    elif verb == "delete":
        await service.delete(app, monitor_id, actor, operator_in=in_team)
    else:
        result = await service.run_now(app, monitor_id, actor, operator_in=in_team)
        return f"monitor {monitor_id}: {result.outcome}" + (f" (run {result.run_id})" if result.run_id else "")
    return f"monitor {monitor_id}: {verb}d" if verb.endswith("e") else f"monitor {monitor_id}: {verb}ed"


def operator_in_team(app: Deputy, team: str) -> Actor:
    """The owner of a monitor ``monitors add --team`` makes: the operator as a member of that
    team (``slack:T0123:cli:<user>``; no chat user id has a colon), so the team's policy,
    integrations, data and audit chain apply to it and its runs, as to a monitor asked in chat."""
    platform, team_id = split_key(team)
    user = getpass.getuser()
    return Actor(platform=platform, team_id=team_id, user_id=f"cli:{user}", display_name=f"operator {user}",
                 timezone=app.settings.timezone)


async def monitors_add(app: Deputy, name: str, action: str, target: str, *, every_seconds: int = 0,
                       cron: dict[str, str] | None = None, condition: str = "always",
                       template: list[str] | None = None, team: str | None = None,
                       args: dict[str, Any] | None = None) -> str:
    """One-step monitor, e.g. ``add "Overdue" local.list_invoices slack:C123 --cron day_of_week=mon,hour=9``.
    Created by the CLI operator and approved at once (the operator is trusted); with ``team``,
    in that team (see :func:`operator_in_team`)."""
    platform, _, channel = target.partition(":")
    in_team = await _team(app, team)
    owner = operator(app) if in_team is None else operator_in_team(app, in_team)
    if in_team is not None and platform != owner.platform:
        raise UserError(f"Team {in_team} is on {owner.platform}: its monitors post there, not to {target}.")
    try:
        schedule = Schedule.every(every_seconds) if every_seconds else Schedule.at(**(cron or {}))
        plan = PlanDraft(summary=name, steps=[Step(id="s1", action=action, args=args or {})])
        if in_team is not None and (missing := await missing_credentials(app, owner.key, plan)):
            raise UserError(f"{', '.join(missing)} needs a person's connected account, which the operator "
                            f"has not in {in_team}: ask for this monitor in the team's chat.")
        row = await service.create_monitor(app, owner, name, plan, schedule,
                                           Where(platform=platform, channel_id=channel),
                                           condition=PostWhen(condition), template=template)
        await service.approve(app, row.id or 0, operator(app), operator_in=in_team)
    except ValueError as err:  # a schedule or condition the model refuses
        raise UserError(str(err)) from err
    return f"monitor {row.id} added: {schedule.describe()} to {target}" + (f" in {in_team}" if in_team else "")


async def monitors_schedule(app: Deputy, monitor_id: int, *, every_seconds: int = 0,
                            cron: dict[str, str] | None = None, team: str | None = None) -> str:
    """Give a monitor a new schedule (interval or cron fields, in its owner's time zone)."""
    in_team = await _team(app, team)
    try:
        schedule = Schedule.every(every_seconds) if every_seconds else Schedule.at(**(cron or {}))
        row = await service.edit_schedule(app, monitor_id, operator(app), schedule, operator_in=in_team)
    except ValueError as err:  # a schedule or condition the model refuses
        raise UserError(str(err)) from err
    return f"monitor {row.id}: now {schedule.describe()}"
