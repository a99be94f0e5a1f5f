"""`monitors` and `monitor approve|reject|pause|resume|run|delete ID` in chat.

Each change goes through bot.scheduling.service with the person who typed it, so the same
rule decides in chat and in the CLI: the owner, or the approvers the policy names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.chat.events import CommandInvoked
from bot.chat.replies import Notice
from bot.errors import UserError
from bot.flow.monitor_goals import monitor_line
from bot.scheduling import service
from bot.scheduling.phrases import find_schedule
from bot.store.monitors import MonitorRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

USAGE = ("Use: monitor approve|reject|pause|resume|run|delete ID, or monitor schedule ID WHEN "
         "(e.g. `monitor schedule 3 every Monday at 10`); see `monitors` for the ids.")


def _next(app: Deputy, row: MonitorRow) -> str:
    upcoming = service.next_run(row, app.clock())
    if upcoming is None:
        return row.status
    return f"next {upcoming.astimezone(ZoneInfo(row.timezone)):%a %d %b %H:%M}"


async def list_monitors(app: Deputy, event: CommandInvoked) -> Notice:
    listings = await service.list_for_channel(app, event.actor.team_key, event.where.platform,
                                                event.where.channel_id)
    if not listings:
        return Notice("No monitors post to this channel. Ask for one in plain words, e.g. "
                      "“every Monday at 9 list the overdue invoices here”.")
    lines = []
    for item in listings:
        row = item.monitor
        when = f"next {item.next_run.astimezone(ZoneInfo(row.timezone)):%a %d %b %H:%M}" \
            if item.next_run else row.status
        lines.append(f"#{row.id} {row.name} · {monitor_line(row)} · {row.status} · {when}")
    return Notice("Monitors in this channel:\n" + "\n".join(lines))


async def manage_monitor(app: Deputy, event: CommandInvoked) -> Notice:
    verb, _, rest = event.argument.strip().partition(" ")
    if verb.lower() == "schedule":
        return await _reschedule(app, event, rest)
    arg = rest.strip().lstrip("#")
    if not arg.isdigit():
        return Notice(USAGE, tone="warning")
    monitor_id, verb, actor = int(arg), verb.lower(), event.actor
    try:
        if verb == "run":
            result = await service.run_now(app, monitor_id, actor)
            if result.outcome == "no_credentials":
                return Notice(f"Monitor {monitor_id} needs {', '.join(result.missing)} connected by its "
                              "owner; nothing was run.", tone="warning")
            return Notice(f"Monitor {monitor_id} is running now; its digest follows.", tone="success")
        changes = {"approve": service.approve, "reject": service.reject, "pause": service.pause,
                   "resume": service.resume, "delete": service.delete}
        change = changes.get(verb)
        if change is None:
            return Notice(USAGE, tone="warning")
        row = await change(app, monitor_id, actor)
    except UserError as err:
        return Notice(str(err), tone="warning")
    said = {"approve": f"is on: {monitor_line(row)}; {_next(app, row)}",
            "resume": f"is running again; {_next(app, row)}",
            "pause": "is paused; it will not post until `monitor resume " + str(monitor_id) + "`",
            "reject": "was rejected; it will never run", "delete": "is deleted"}[verb]
    return Notice(f"Monitor {monitor_id} {said}.", tone="success")


async def _reschedule(app: Deputy, event: CommandInvoked, text: str) -> Notice:
    number, _, words = text.strip().partition(" ")
    found = find_schedule(words) if number.lstrip("#").isdigit() else None
    if found is None:
        return Notice("Use: monitor schedule ID WHEN, e.g. `monitor schedule 3 every Monday at 10` "
                      "or `monitor schedule 3 every 2 hours`.", tone="warning")
    try:
        row = await service.edit_schedule(app, int(number.lstrip("#")), event.actor, found.schedule)
    except UserError as err:
        return Notice(str(err), tone="warning")
    return Notice(f"Monitor {row.id} now runs {monitor_line(row)}; {_next(app, row)}.", tone="success")
