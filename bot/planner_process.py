"""The Procfile's ``planner`` process (``deputy planner run``): it plans the Slack requests
``deputy serve --no-plan`` acknowledged and queued in the inbox (bot/adapters/inbox.py), and
posts their cards. Its own connection pool: background work may wait longer for a
connection than a chat answer can."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.adapters.inbox import CONCURRENCY, consume
from bot.app import build_app
from bot.errors import SettingsError
from bot.execution.worker import settle_heap
from bot.platforms import Platforms, attach_post_only, configured
from bot.processes import lower_priority
from bot.serve import shut_down, slack_adapter, slack_sealer, until_stopped
from bot.settings import Settings
from bot.startup import check_connections
from bot.store.database import Pool
from bot.web import start_ops_server


def planner_pool(settings: Settings) -> tuple[Pool, int]:
    """The planner's connections, and how many requests it works on at once. Background work:
    it may wait longer for a connection than a chat answer can (DEPUTY_PLANNER_POOL_TIMEOUT_SECONDS),
    and needs one per request in flight, one for its LISTEN and one for the inbox's own
    transactions (DEPUTY_PLANNER_POOL_SIZE: fewer requests in flight when it is small)."""
    size = settings.planner_pool_size
    return Pool(size, settings.planner_pool_timeout_seconds), min(CONCURRENCY, size - 2)



async def run_planner(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> None:
    """``deputy planner run``: does the work of the Slack requests that ``deputy serve --no-plan``
    acknowledged (translation, planning, the plan card), taking them from the inbox table."""
    if "slack" not in configured(settings):
        raise SettingsError("SLACK_BOT_TOKEN: not set; `deputy planner run` plans the Slack requests "
                            "`deputy serve --no-plan` queued")
    lower_priority("planner", settings.background_nice)
    pool, concurrency = planner_pool(settings)
    deputy = await build_app(settings, pool=pool)
    await check_connections(deputy.database, settings)
    tasks: list[asyncio.Task[None]] = []
    attached = Platforms()
    runner: web.AppRunner | None = None
    try:
        slack = slack_adapter(deputy, attached, redeliverable=True)
        await attach_post_only(deputy, attached, skip=("slack",))
        settle_heap()  # as worker and serve do: a full collection walks only what planning made
        tasks.append(asyncio.create_task(
            consume(deputy.database, slack_sealer(slack.settings), slack.work, give_up=slack.give_up,
                    concurrency=concurrency,
                    lease_seconds=settings.inbox_lease_seconds,
                    failed_retention_days=settings.inbox_failed_retention_days), name="planner"))
        if port is not None:
            runner = await start_ops_server(deputy, attached.checks, host, port)
        await until_stopped(tasks)
    finally:
        await shut_down(deputy, tasks, attached, runner)
