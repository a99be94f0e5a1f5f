"""The Procfile's ``worker`` and ``scheduler`` processes.

Neither receives chat events, yet both speak: each attaches a post-only port for every
configured platform (bot/platforms.py), and with ``--port`` serves ``/healthz``,
``/readyz`` (database, and every platform it must post to) and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot.app import Deputy, build_app
from bot.platforms import Platforms, attach_post_only
from bot.serve import scheduler_for, shut_down, until_stopped
from bot.settings import Settings
from bot.startup import check_connections
from bot.web import start_ops_server

log = logging.getLogger(__name__)


def lower_priority(name: str, niceness: int) -> int:
    """Lower this process's CPU priority to ``niceness`` (DEPUTY_BACKGROUND_NICE), as the
    ``planner`` and ``worker`` do at start: their work is throughput work (a plan, a run), while
    ``web``'s acks are latency work that Slack times out after 3 s. On a machine they share,
    the kernel then runs an ack the moment it is ready instead of giving planning an equal
    turn first (docs/benchmarks.md, "The Procfile split"). Never raised back: a process
    started under ``nice`` that is already lower stays so. The niceness in force."""
    current = os.nice(0)
    if niceness > current:
        current = os.nice(niceness - current)
    log.info("deputy %s runs at niceness %d (DEPUTY_BACKGROUND_NICE)", name, current)
    return current


async def run_worker(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> None:
    from bot.execution.worker import (
        Worker,  # lazy: loaded only when this process runs it (start-up speed)
    )

    lower_priority("worker", settings.background_nice)
    await _run(settings, "worker", lambda deputy: Worker(deputy).run_forever(), host, port)


async def run_scheduler(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> None:
    await _run(settings, "scheduler", lambda deputy: scheduler_for(deputy).run_forever(), host, port)


async def _run(settings: Settings, name: str, main: Callable[[Deputy], Coroutine[Any, Any, None]],
               host: str, port: int | None) -> None:
    deputy = await build_app(settings)
    await check_connections(deputy.database, settings)
    attached = Platforms()
    runner: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = []
    try:
        await attach_post_only(deputy, attached)
        if port is not None:
            runner = await start_ops_server(deputy, attached.checks, host, port)
        log.info("deputy %s started (posting to: %s%s)", name, ", ".join(attached.checks) or "no platform",
                 f"; health on http://{host}:{port}" if port is not None else "")
        tasks.append(asyncio.create_task(main(deputy), name=name))
        await until_stopped(tasks)
        log.info("deputy %s stopping", name)
    finally:
        await shut_down(deputy, tasks, attached, runner)
