"""``deputy planner``: the planner backend (DEPUTY_PLANNER), and the process that plans."""

from __future__ import annotations

import typer

from bot.cli.common import (
    HealthHost,
    HealthPort,
    configure_logging,
    group,
    run_async,
    settings_or_exit,
)

app = group("The planner backend (DEPUTY_PLANNER), and the process that plans.")


@app.command("run")
def planner_run(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Plan the Slack requests `deputy serve --no-plan` acknowledged, and post their cards."""
    from bot.serve import run_planner

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_planner(settings, host, port))


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
