"""``deputy serve``: everything configured, in one process, for small teams.

HTTP (health, readiness, Slack events when Slack is configured over HTTP), Slack Socket
Mode when SLACK_APP_TOKEN is set, the Discord gateway when DISCORD_TOKEN is set, an
in-process worker and the monitor scheduler. ``--platforms`` limits which platforms'
events this process receives (the Procfile's ``web`` takes Slack, ``discord`` the Discord
gateway: one gateway per token); the others still get a post-only port
(bot/platforms.py). The Procfile splits all this into processes for larger teams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from bot.adapters.front_door import FrontDoor
from bot.app import Deputy, build_app, dispatcher, team_door, thread_door
from bot.chat.signin import SignInProvider
from bot.console import FRONT_DOOR_PATHS, add_console_routes
from bot.errors import SettingsError
from bot.execution.worker import Worker, settle_heap
from bot.platforms import Platforms, attach_post_only, configured
from bot.readiness import ReadyCheck
from bot.settings import Settings
from bot.startup import check_connections
from bot.web import add_ops_routes, start_ops_server
from bot.web_oauth import add_oauth_routes, hide_callback_queries

if TYPE_CHECKING:
    # lazy: a platform's SDK is loaded only when it is configured (start-up speed)
    from bot.adapters.inbox import Sealer
    from bot.adapters.slack.app import SlackAdapter
    from bot.adapters.slack.distribution import Distribution
    from bot.adapters.slack.settings import SlackSettings
    from bot.scheduling.runner import (
        MonitorScheduler,  # lazy: APScheduler only where it runs (start-up speed)
    )

log = logging.getLogger(__name__)


async def serve(settings: Settings, host: str, port: int, *, with_worker: bool = True,
                with_scheduler: bool = True, platforms: Collection[str] | None = None,
                on_new_home: Callable[[str], None] | None = None, plan: bool = True) -> None:
    """``plan=False``: the Slack requests acknowledged here are queued for ``deputy planner run``
    (the inbox table) instead of being planned in this process."""
    receive = configured(settings) if platforms is None else list(platforms)
    deputy = await build_app(settings, on_new_home=on_new_home)
    if not plan:  # the Procfile's `web`: one of the processes that share the server's connections
        await check_connections(deputy.database, settings)
    web_app = web.Application(client_max_size=1024 * 1024)
    attached = Platforms()
    tasks: list[asyncio.Task[None]] = []
    # ops routes first: the Slack HTTP app adds its own /healthz only where none exists yet
    add_ops_routes(web_app, deputy, attached.checks)
    add_oauth_routes(web_app, deputy)
    add_console_routes(web_app, deputy, providers=console_signins(deputy, attached))
    front: FrontDoor | None = None
    slack: SlackAdapter | None = None
    try:
        if "slack" in receive:
            slack = _start_slack(deputy, settings, web_app, tasks, attached, plan=plan)
        if "discord" in receive:
            _start_discord(deputy, tasks, attached.checks)
        await attach_post_only(deputy, attached, skip=receive)
        if with_worker:
            tasks.append(asyncio.create_task(Worker(deputy).run_forever(), name="worker"))
        if with_scheduler:
            tasks.append(asyncio.create_task(scheduler_for(deputy).run_forever(), name="scheduler"))
        # what start-up left (~100 MB of modules and caches) is frozen out of the collector's
        # sight before the first request: a full collection then walks only what came since,
        # instead of stopping the acks for tens of milliseconds (docs/benchmarks.md, "The
        # Procfile split")
        settle_heap()
        # the HTTP server answers on a thread of its own: acks never wait for the core
        own = [*(slack_paths(slack) if slack else ()), *FRONT_DOOR_PATHS]
        front = FrontDoor(web_app, host, port, own_paths=own)
        bound = await front.start()
        log.info("deputy serving on http://%s:%d (events from: %s; posting to: %s)", host, bound,
                 ", ".join(receive) or "none", ", ".join(attached.checks) or "none")
        await until_stopped(tasks)
    finally:
        # no new requests first; then finish what was acknowledged, while the core still runs
        if front is not None:
            await front.stop()
        if slack is not None:
            await slack.aclose()
        await shut_down(deputy, tasks, attached)


def console_signins(deputy: Deputy, attached: Platforms) -> list[SignInProvider]:
    """"Sign in with Slack / Discord" on the web console, for the platforms whose OAuth
    client is configured (docs/console.md). Their HTTP session closes with the process."""
    from bot.adapters.discord.settings import DiscordSettings
    from bot.adapters.slack.settings import SlackSettings  # noqa: F811 - lazy, at run time

    settings = deputy.settings
    slack_settings, discord_settings = SlackSettings.from_settings(settings), DiscordSettings.from_settings(settings)
    if not slack_settings.signs_in and not discord_settings.signs_in:
        return []
    session = aiohttp.ClientSession()
    attached.closers.append(session.close)
    providers: list[SignInProvider] = []
    if slack_settings.signs_in:
        from bot.adapters.slack.console_signin import slack_signin

        slack = slack_signin(slack_settings, deputy.database, deputy.vault, session, settings.timezone)
        if slack is not None:
            providers.append(slack)
    if discord_settings.signs_in:
        from bot.adapters.discord.console_signin import DiscordSignIn

        providers.append(DiscordSignIn(discord_settings, session))
    return providers


def scheduler_for(deputy: Deputy) -> MonitorScheduler:
    from bot.scheduling.runner import MonitorScheduler

    settings = deputy.settings
    return MonitorScheduler(
        deputy, sync_seconds=settings.scheduler_sync_seconds,
        retry_seconds=settings.scheduler_standby_retry_seconds,
        misfire_grace=timedelta(seconds=settings.scheduler_misfire_grace_seconds))


async def shut_down(deputy: Deputy, tasks: list[asyncio.Task[None]], attached: Platforms,
                    ops_server: web.AppRunner | None = None) -> None:
    """Stop a process's loops, then its chat ports and health server, then the core: in that
    order, so nothing still running posts through a closed port or writes to a closed pool."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await attached.aclose()
    if ops_server is not None:
        await ops_server.cleanup()
    await deputy.close()


async def until_stopped(tasks: list[asyncio.Task[None]]) -> None:
    """Return on SIGINT/SIGTERM; raise what a task raised if one ends first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


def slack_adapter(deputy: Deputy, attached: Platforms, *, plan: bool = True,
                  redeliverable: bool = False) -> SlackAdapter:
    """The Slack adapter of this process, attached as its Slack port (``redeliverable``: its
    events come from the inbox, which delivers them again after a transient failure)."""
    from bot.adapters.inbox_writer import InboxWriter
    from bot.adapters.slack.app import SlackAdapter
    from bot.adapters.slack.post_only import auth_probe
    from bot.adapters.slack.settings import SlackSettings  # noqa: F811 - lazy, at run time

    slack_settings = SlackSettings.from_settings(deputy.settings)
    distribution = slack_distribution(deputy, slack_settings)
    inbox = None if plan else InboxWriter(deputy.database, slack_sealer(slack_settings),
                                          before_ack=deputy.settings.inbox_commit_before_ack)
    adapter = SlackAdapter(slack_settings, dispatcher(deputy, redeliverable=redeliverable), default_timezone=deputy.settings.timezone,
                           distribution=distribution, inbox=inbox, thread_known=thread_door(deputy, "slack"))
    attached.closers.append(adapter.aclose)
    deputy.attach(adapter.port)
    # distributed: no token of its own to test; each workspace's is used as its events come
    if distribution is None:
        attached.checks["slack"] = auth_probe(adapter.client)
    return adapter


def slack_sealer(slack_settings: SlackSettings) -> Sealer:
    from bot.adapters.inbox import Sealer

    return Sealer("slack", slack_settings.signing_secret.get_secret_value())


def _start_slack(deputy: Deputy, settings: Settings, web_app: web.Application,
                 tasks: list[asyncio.Task[None]], attached: Platforms, *, plan: bool = True) -> SlackAdapter:
    adapter = slack_adapter(deputy, attached, plan=plan)
    if adapter.settings.socket_mode:
        from bot.adapters.slack.socket_mode import run_socket_mode  # lazy: only in Socket Mode

        tasks.append(asyncio.create_task(run_socket_mode(adapter), name="slack-socket-mode"))
    else:
        from bot.adapters.slack.http import callback_paths, create_http_app  # lazy: only over HTTP

        create_http_app(adapter, web_app)
        hide_callback_queries(*callback_paths(adapter))
    return adapter


def slack_distribution(deputy: Deputy, slack_settings: SlackSettings) -> Distribution | None:
    """"Add to Slack" when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set; None otherwise."""
    if not slack_settings.distributed:
        return None
    from bot.adapters.slack.distribution import build_distribution
    from bot.flow.team_removal import installed, team_removed

    async def on_removed(team_ids: list[str], enterprise_id: str | None, why: str) -> None:
        await team_removed(deputy, "slack", team_ids, why, enterprise_id=enterprise_id)

    async def on_installed(installation: Any) -> None:
        await installed(deputy, "slack", installation.team_id or installation.enterprise_id,
                        enterprise=bool(installation.is_enterprise_install), name=installation.team_name or "")

    return build_distribution(slack_settings, deputy.database, deputy.vault,
                              on_removed=on_removed, on_installed=on_installed)


def slack_paths(adapter: SlackAdapter) -> list[str]:
    """The routes the front door answers on its own thread: Slack's, over HTTP."""
    if adapter.settings.socket_mode:
        return []
    from bot.adapters.slack.http import EVENTS_PATH

    return [EVENTS_PATH]


def _start_discord(deputy: Deputy, tasks: list[asyncio.Task[None]],
                   checks: dict[str, ReadyCheck]) -> None:
    # lazy: discord.py is loaded only when Discord is configured (start-up speed)
    from bot.adapters.discord.client import build_discord
    from bot.adapters.discord.settings import DiscordSettings

    discord_settings = DiscordSettings.from_settings(deputy.settings)
    client, port = build_discord(discord_settings, dispatcher(deputy), team_door(deputy))
    deputy.attach(port)

    async def run() -> None:
        async with client:
            await client.start(discord_settings.token.get_secret_value())

    async def connected() -> bool:
        return client.is_ready() and not client.is_closed()

    tasks.append(asyncio.create_task(run(), name="discord"))
    checks["discord"] = connected


async def run_discord_only(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> None:
    """``deputy discord``: the gateway connection alone (runs go to `deputy worker`)."""
    if "discord" not in configured(settings):
        raise SettingsError("DISCORD_TOKEN: not set; create a bot token as the README's Discord set-up shows")
    deputy = await build_app(settings)
    await check_connections(deputy.database, settings)
    tasks: list[asyncio.Task[None]] = []
    attached = Platforms()
    runner: web.AppRunner | None = None
    try:
        _start_discord(deputy, tasks, attached.checks)
        await attach_post_only(deputy, attached, skip=("discord",))
        if port is not None:
            runner = await start_ops_server(deputy, attached.checks, host, port)
        await until_stopped(tasks)
    finally:
        await shut_down(deputy, tasks, attached, runner)
