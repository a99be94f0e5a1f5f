"""``deputy teams``: the teams one deployment serves (Slack workspaces, Discord guilds, the
shell) — list, show, disable, enable, set, export, delete (issue 20, docs/teams.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import AsJson, group, home_or_exit, run_refusable, settings_or_exit

app = group("Teams (workspaces, guilds): list, show, disable, enable, set, export, delete.")
Team = Annotated[str, typer.Argument(help="the team key, platform:team_id (e.g. discord:1234, slack:T0123)")]


@app.command("list")
def teams_list(as_json: AsJson = False) -> None:
    """Every team Deputy keeps a row for, with its status."""
    from bot.cli.team_actions import list_teams  # lazy: --help must not load the store

    typer.echo(run_refusable(lambda: list_teams(home_or_exit(settings_or_exit()), as_json)))


@app.command("show")
def teams_show(team: Team) -> None:
    """A team's status, settings and how many rows of each table it has."""
    from bot.cli.team_actions import show_team

    typer.echo(run_refusable(lambda: show_team(home_or_exit(settings_or_exit()), team)))


@app.command("disable")
def teams_disable(team: Team) -> None:
    """Refuse the team in chat from now on (its data stays; `enable` undoes it)."""
    from bot.cli.team_actions import set_status

    typer.echo(run_refusable(lambda: set_status(home_or_exit(settings_or_exit()), team, "disabled")))


@app.command("enable")
def teams_enable(team: Team) -> None:
    """Serve a disabled or archived team again."""
    from bot.cli.team_actions import set_status

    typer.echo(run_refusable(lambda: set_status(home_or_exit(settings_or_exit()), team, "active")))


@app.command("set")
def teams_set(team: Team, setting: Annotated[str, typer.Argument(help="role, digest or timezone")],
              values: Annotated[list[str], typer.Argument(help="role: GROUP ROLE_ID|none; digest: CHANNEL_ID|none; "
                                                               "timezone: ZONE")]) -> None:
    """Change a team setting, as `setup` does in chat: `deputy teams set discord:1234 role finance 5678`."""
    from bot.cli.team_actions import change_setting

    typer.echo(run_refusable(lambda: change_setting(home_or_exit(settings_or_exit()), team, setting, values)))


class _ReaderGone(Exception):
    """Standard output's reader closed it. Not an OSError: the database session would take a
    BrokenPipeError for the database going away."""


def _to_stdout(line: str) -> None:
    try:
        typer.echo(line)
    except BrokenPipeError:
        raise _ReaderGone from None


@app.command("export")
def teams_export(team: Team, output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="write to this file instead of standard output")] = None) -> None:
    """Everything of one team as JSON Lines ({"table": …, "row": …}), credentials' sealed bytes left out."""
    from bot.cli.team_actions import export_team

    settings = home_or_exit(settings_or_exit())
    if output is None:
        try:
            run_refusable(lambda: export_team(settings, team, _to_stdout))
        except _ReaderGone:  # `| head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second EPIPE at exit
        return
    with output.open("w", encoding="utf-8") as out:
        count = run_refusable(lambda: export_team(settings, team, lambda line: out.write(line + "\n")))
    typer.echo(f"Wrote {count} rows of {team} to {output}.", err=True)


@app.command("delete")
def teams_delete(team: Team, dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="only count what would be deleted, per table")] = False,
                 yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False) -> None:
    """Delete everything of one team, credentials first, in one transaction."""
    from bot.cli.team_actions import delete_team

    settings = home_or_exit(settings_or_exit())
    typer.echo(run_refusable(lambda: delete_team(settings, team, dry_run=dry_run,
                                        confirm=lambda shown: yes or typer.confirm(shown + "Delete?"))))
