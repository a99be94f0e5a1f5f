"""``deputy serve``: everything configured, in one process, for small teams.

HTTP (health, readiness, Slack events when Slack is configured over HTTP), Slack Socket
Mode when SLACK_APP_TOKEN is set, the Discord gateway when DISCORD_TOKEN is set, an
in-process worker and the monitor scheduler. The Procfile splits these into processes for larger teams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app import Deputy, build_app
from bot.execution.worker import Worker
from bot.settings import Settings
from bot.web import ConnectedCheck, add_ops_routes
from bot.web_oauth import add_oauth_routes

if TYPE_CHECKING:
    from bot.adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)


async def serve(settings: Settings, host: str, port: int, *, with_worker: bool = True,
                with_scheduler: bool = True, on_new_home: Callable[[str], None] | None = None) -> None:
    deputy = await build_app(settings, on_new_home=on_new_home)
    web_app = web.Application(client_max_size=1024 * 1024)
    platforms: dict[str, ConnectedCheck] = {}
    tasks: list[asyncio.Task[None]] = []
    closers: list[SlackAdapter] = []
    # ops routes first: the Slack HTTP app adds its own /healthz only where none exists yet
    add_ops_routes(web_app, deputy, platforms)
    add_oauth_routes(web_app, deputy)
    slack = _start_slack(deputy, settings, web_app, tasks, platforms)
    if slack is not None:
        closers.append(slack)
    _start_discord(deputy, tasks, platforms)
    if with_worker:
        tasks.append(asyncio.create_task(Worker(deputy).run_forever(), name="worker"))
    if with_scheduler:
        from bot.scheduling.runner import MonitorScheduler

        monitors = MonitorScheduler(
            deputy, sync_seconds=settings.scheduler_sync_seconds,
            retry_seconds=settings.scheduler_standby_retry_seconds,
            misfire_grace=timedelta(seconds=settings.scheduler_misfire_grace_seconds))
        tasks.append(asyncio.create_task(monitors.run_forever(), name="scheduler"))
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("deputy serving on http://%s:%d (platforms: %s)", host, port,
             ", ".join(platforms) or "none; HTTP health only")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        waiters = [asyncio.create_task(stop.wait()), *tasks]
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for adapter in closers:
            await adapter.aclose()
        await runner.cleanup()
        await deputy.close()


def _start_slack(deputy: Deputy, settings: Settings, web_app: web.Application,
                 tasks: list[asyncio.Task[None]], platforms: dict[str, ConnectedCheck]
                 ) -> SlackAdapter | None:
    from bot.adapters.slack.settings import SlackSettings

    slack_settings = SlackSettings.from_settings(settings)
    if not slack_settings.configured:
        return None
    from bot.adapters.slack.app import SlackAdapter

    adapter = SlackAdapter(slack_settings, deputy.dispatch, default_timezone=settings.timezone)
    deputy.attach(adapter.port)
    if slack_settings.socket_mode:
        from bot.adapters.slack.socket_mode import run_socket_mode

        tasks.append(asyncio.create_task(run_socket_mode(adapter), name="slack-socket-mode"))
    else:
        from bot.adapters.slack.http import create_http_app

        create_http_app(adapter, web_app)
    platforms["slack"] = lambda: True
    return adapter


def _start_discord(deputy: Deputy, tasks: list[asyncio.Task[None]],
                   platforms: dict[str, ConnectedCheck]) -> None:
    from bot.adapters.discord.settings import DiscordSettings

    discord_settings = DiscordSettings.from_settings(deputy.settings)
    if not discord_settings.configured:
        return
    from bot.adapters.discord.client import build_discord

    client, port = build_discord(discord_settings, deputy.dispatch)
    deputy.attach(port)

    async def run() -> None:
        async with client:
            await client.start(discord_settings.token.get_secret_value())

    tasks.append(asyncio.create_task(run(), name="discord"))
    platforms["discord"] = lambda: client.is_ready() and not client.is_closed()


async def run_discord_only(settings: Settings) -> None:
    """``deputy discord``: the gateway connection alone (runs go to `deputy worker`)."""
    from bot.adapters.discord.settings import DiscordSettings
    from bot.errors import SettingsError

    if not DiscordSettings.from_settings(settings).configured:
        raise SettingsError("DISCORD_TOKEN: not set; create a bot token as the README's Discord set-up shows")
    deputy = await build_app(settings)
    tasks: list[asyncio.Task[None]] = []
    try:
        _start_discord(deputy, tasks, {})
        await asyncio.gather(*tasks)
    finally:
        await deputy.close()
