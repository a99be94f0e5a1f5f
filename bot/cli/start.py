"""The commands that start Deputy: ``shell``, ``serve``, ``worker``, ``scheduler``, ``discord``.

Each body imports the process it starts: ``deputy --help`` must not load them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import (
    HealthHost,
    HealthPort,
    announce,
    configure_logging,
    fail,
    home_or_exit,
    run_async,
    settings_or_exit,
)
from bot.errors import SettingsError


def shell(
    user: Annotated[str, typer.Option(help="Your name in the conversation (default: your login name).")] = "",
) -> None:
    """Chat with Deputy in the terminal (the embedded default: no account needed)."""
    # lazy, as in every body here: --help must not load the process it starts
    import logging

    from bot.adapters.shell.terminal import run_shell

    settings = settings_or_exit()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        run_async(lambda: run_shell(settings, user or None, on_new_home=announce))
    except KeyboardInterrupt:  # Ctrl-C at the prompt ends the shell; the terminal's prompt
        if sys.stdin.isatty():  # goes on a line of its own, not after "you> ^C"
            print(flush=True)
        raise typer.Exit(130) from None


def worker(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Execute approved runs (several workers may share one PostgreSQL database)."""
    from bot.processes import run_worker

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_worker(settings, host, port))


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port (Slack events, /console, /healthz, /readyz, /metrics).")] = 8080,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run a worker in this process.")] = True,
    scheduler: Annotated[bool, typer.Option("--scheduler/--no-scheduler", help="Fire monitors in this process.")] = True,
    platforms: Annotated[str | None, typer.Option(
        help="Platforms whose events this process receives, e.g. `slack` (default: every configured "
             "one). The others are still posted to.")] = None,
    plan: Annotated[bool, typer.Option("--plan/--no-plan", help="Plan the Slack requests in this process; "
                                       "--no-plan queues them for `deputy planner run` (fast acks under load).")] = True,
) -> None:
    """Run everything configured in one process: HTTP, Slack, Discord, a worker and the scheduler."""
    from bot.platforms import parse_platforms
    from bot.serve import serve as run_serve

    settings = settings_or_exit()
    try:
        receive = parse_platforms(platforms, settings)
    except SettingsError as err:
        fail(str(err))
    configure_logging(settings)
    run_async(lambda: run_serve(settings, host, port, with_worker=worker, with_scheduler=scheduler,
                                platforms=receive, on_new_home=announce, plan=plan))


def discord(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Run the Discord gateway connection alone (approved runs go to `deputy worker`)."""
    from bot.serve import run_discord_only

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_discord_only(settings, host, port))


def scheduler(host: HealthHost = "127.0.0.1", port: HealthPort = None) -> None:
    """Fire monitors on schedule (on PostgreSQL several may run: one leads, the rest stand by)."""
    from bot.processes import run_scheduler

    settings = settings_or_exit()
    configure_logging(settings)
    run_async(lambda: run_scheduler(settings, host, port))


def console(
    person: Annotated[str, typer.Option("--as", help="Who signs in: a name (the shell's person) or a "
                                                    "chat key such as slack:T123:U456.")] = "",
    url: Annotated[str, typer.Option(help="Where `deputy serve` answers (default: DEPUTY_PUBLIC_URL, "
                                          "else http://127.0.0.1:8080).")] = "",
) -> None:
    """Print a one-time sign-in link to the web console of `deputy serve` (docs/console.md)."""
    import getpass
    from datetime import UTC, datetime

    from bot.console.signin import LINK_LIFETIME, local_person, make_link
    from bot.store.migrate import open_database

    settings = home_or_exit(settings_or_exit())  # the link is stored in the home `deputy serve` uses
    actor = local_person(person or getpass.getuser(), settings.timezone)
    base = url or settings.public_url or "http://127.0.0.1:8080"

    async def link() -> str:
        database = await open_database(settings)
        try:
            return await make_link(database, actor, base, datetime.now(UTC))
        finally:
            await database.dispose()

    made = run_async(link)
    typer.echo(f"Sign in to the Deputy console as {actor.key} (works once, for "
               f"{int(LINK_LIFETIME.total_seconds() // 60)} minutes):\n{made}")


COMMANDS = (shell, worker, serve, discord, scheduler, console)  # in the order `deputy --help` lists them
