"""``deputy runs``: what ran, step by step (every team's, or with ``--team`` one team's)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import (
    AsJson,
    TeamFilter,
    fail,
    group,
    home_or_exit,
    run_refusable,
    settings_or_exit,
    short_lived,
)

app = group("What ran, step by step.")


@app.command("list")
def runs_list(as_json: AsJson = False, team: TeamFilter = None) -> None:
    """List recent runs."""
    with short_lived():
        # lazy: --help must not load the reader
        from bot.runs_listing import plain_runs, print_runs

        settings = home_or_exit(settings_or_exit())
        items = plain_runs(settings, team)
        if items is not None:
            print_runs(items, as_json)
            return
        # the ORM's path: migrates first, names an unreachable database or an unknown team
        from bot.runs_report import list_runs_report

        run_refusable(lambda: list_runs_report(settings, as_json, team))


@app.command("show")
def runs_show(run_id: Annotated[int, typer.Argument(help="The run's number, as `deputy runs list` shows it (#3).")], as_json: AsJson = False, team: TeamFilter = None) -> None:
    """Show one run step by step: arguments, results, timing, planning tokens."""
    with short_lived():
        # lazy: --help must not load the store
        from bot.runs_report import show_run_report

        settings = home_or_exit(settings_or_exit())
        shown = run_refusable(lambda: show_run_report(settings, run_id, as_json, team))
    if not shown:
        fail(f"there is no run {run_id}" + (f" in {team}" if team else ""), 1)
