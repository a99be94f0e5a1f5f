"""``deputy planner``: the planner backend (DEPUTY_PLANNER)."""

from __future__ import annotations

import typer

from bot.cli.common import group, run_async, settings_or_exit

app = group("The planner backend (DEPUTY_PLANNER).")


@app.command("check")
def planner_check() -> None:
    """Send one tiny planning request; print model, latency and whether tool calling works."""
    # lazy: --help must not load the model clients
    from bot.planner_check import check_planner

    settings = settings_or_exit()
    report = run_async(lambda: check_planner(settings))
    for line in report.lines():
        typer.echo(line)
    if not report.tool_calling:
        raise typer.Exit(1)
