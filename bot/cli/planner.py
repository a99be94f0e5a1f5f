"""``deputy planner``: the planner backend (DEPUTY_PLANNER), and the process that plans."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import (
    HealthHost,
    HealthPort,
    configure_logging,
    group,
    home_or_exit,
    run_async,
    settings_or_exit,
)

app = group("The planner backend (DEPUTY_PLANNER), and the process that plans.")


@app.command("run")
def planner_run(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Plan the Slack requests `deputy serve --no-plan` acknowledged, and post their cards."""
    from bot.planner_process import run_planner

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


@app.command("failed")
def planner_failed(
    purge: Annotated[bool, typer.Option("--purge", help="Delete the failed requests older than --days.")] = False,
    days: Annotated[float | None, typer.Option(
        min=0, help="With --purge: retention in days (default DEPUTY_INBOX_FAILED_RETENTION_DAYS, 14).")] = None,
) -> None:
    """Queued requests the planner gave up (3 failed attempts): id, kind, workspace, attempts,
    when queued and failed, the last error's class. Never what was typed (it stays sealed)."""
    # lazy: --help must not load the store
    from bot.cli.planner_failed import list_failed, purge_failed

    settings = home_or_exit(settings_or_exit())
    if purge:
        keep = settings.inbox_failed_retention_days if days is None else days
        purged = run_async(lambda: purge_failed(settings, keep))
        typer.echo(f"Deleted {purged} failed request(s) older than {keep:g} days.")
        return
    typer.echo(run_async(lambda: list_failed(settings)))
