"""``deputy monitors``: list, pause, resume, run, delete, reschedule and add scheduled monitors.
The commands on one monitor act in the operator's own team, or with ``--team`` in that team's.

The bodies are in bot/cli/monitor_actions.py, imported when a command runs: it loads the
scheduler and the store, which ``deputy --help`` must not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from bot.cli.common import TeamFilter, TeamOption, fail, group, with_app

app = group("Scheduled monitors and their digests.")

Every = Annotated[int, typer.Option(help="Interval in seconds.")]
MonitorId = Annotated[int, typer.Argument(help="The monitor's number, as `deputy monitors list` shows it.")]

# the commands that take only a monitor id: one body serves them all
VERBS = {
    "pause": "Stop a monitor firing until resumed.",
    "resume": "Resume a paused monitor.",
    "run": "Queue a monitor's run now (a worker executes it).",
    "delete": "Delete a monitor.",
}


@app.command("list")
def monitors_list(channel: Annotated[str | None, typer.Option(help="platform:channel_id")] = None,
                  team: TeamFilter = None) -> None:
    """List monitors with their schedule and next run (every team's, or one team's)."""
    # lazy: --help must not load the scheduler and the store
    from bot.cli import monitor_actions

    platform, _, channel_id = (channel or "").partition(":")
    with_app(lambda d: monitor_actions.monitors_list(d, platform or None, channel_id or None, team))


def _verb_command(verb: str) -> Callable[[int, str | None], None]:
    def command(monitor_id: MonitorId, team: TeamOption = None) -> None:
        # lazy: --help must not load the scheduler and the store
        from bot.cli import monitor_actions

        with_app(lambda d: monitor_actions.act(d, verb, monitor_id, team))

    return command


for _verb, _help in VERBS.items():
    app.command(_verb, help=_help)(_verb_command(_verb))


def _cron_fields(every: int, cron: str | None) -> dict[str, str] | None:
    """``--cron day_of_week=mon,hour=9`` as fields; one of ``--every`` and ``--cron`` is needed."""
    if not every and not cron:
        fail("give --every SECONDS or --cron FIELDS")
    try:
        return dict(kv.split("=", 1) for kv in cron.split(",")) if cron else None
    except ValueError:
        fail(f"--cron {cron!r} must be comma-separated key=value fields")


@app.command("schedule")
def monitors_schedule(
    monitor_id: MonitorId,
    every: Every = 0,
    cron: Annotated[str | None, typer.Option(help='Cron fields, e.g. "day_of_week=mon,hour=10".')] = None,
    team: TeamOption = None,
) -> None:
    """Change a monitor's schedule."""
    # lazy: --help must not load the scheduler and the store
    from bot.cli import monitor_actions

    fields = _cron_fields(every, cron)
    with_app(lambda d: monitor_actions.monitors_schedule(d, monitor_id, every_seconds=every, cron=fields, team=team))


@app.command("add")
def monitors_add(
    name: Annotated[str, typer.Argument(help='Its name, shown on each digest, e.g. "Overdue invoices".')],
    action: Annotated[str, typer.Argument(help="A read action, e.g. local.list_invoices.")],
    target: Annotated[str, typer.Argument(help="platform:channel_id, e.g. slack:C0FINANCE.")],
    every: Every = 0,
    cron: Annotated[str | None, typer.Option(help='Cron fields, e.g. "day_of_week=mon,hour=9".')] = None,
    condition: Annotated[str, typer.Option(help="always, non_empty or changed.")] = "always",
    line: Annotated[list[str] | None, typer.Option(help="Digest template line (repeatable).")] = None,
    args: Annotated[str, typer.Option(help='The action\'s arguments as a JSON object, e.g. \'{"status": "overdue"}\' '
                                           "(`deputy integrations list` names the actions).")] = "{}",
    team: TeamOption = None,
) -> None:
    """Add a one-step monitor (approved at once: the operator is trusted), in the operator's
    team or, with --team, in that team."""
    # lazy: --help must not load the scheduler and the store
    from bot.cli import monitor_actions

    fields = _cron_fields(every, cron)
    arguments = _json_object(args)
    with_app(lambda d: monitor_actions.monitors_add(d, name, action, target, every_seconds=every,
                                                    cron=fields, condition=condition, template=line,
                                                    team=team, args=arguments))


def _json_object(text: str) -> dict[str, object]:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        fail("--args must be a JSON object, e.g. '{\"status\": \"overdue\"}'")
    return value
