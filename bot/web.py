"""Operational HTTP routes shared by every process that serves HTTP: health, readiness and
Prometheus metrics."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import metrics
from bot.core.deputy import Deputy
from bot.readiness import ReadyCheck


def add_ops_routes(web_app: web.Application, deputy: Deputy,
                   platforms: dict[str, ReadyCheck], *,
                   metrics_max_age: float = metrics.DATABASE_CACHE_SECONDS) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        checks: dict[str, bool] = {}
        try:
            async with asyncio.timeout(2):
                await deputy.database.ping()
            checks["database"] = True
        except (OSError, TimeoutError, Exception):  # noqa: BLE001 - any failure means not ready
            checks["database"] = False
        for name, probe in platforms.items():
            try:
                async with asyncio.timeout(5):
                    checks[name] = await probe()
            except TimeoutError:
                checks[name] = False
        # a platform this process was asked to post to but has no settings for
        undelivered = deputy.undelivered.as_dict()
        for name in undelivered:
            checks[name] = False
        ready = all(checks.values())
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if undelivered:
            body["undelivered"] = undelivered
        return web.json_response(body, status=200 if ready else 503)

    gauges = metrics.DatabaseGauges(deputy.database, metrics_max_age)

    async def scrape(request: web.Request) -> web.Response:
        await gauges.refresh()
        return web.Response(body=metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", scrape)


async def start_ops_server(deputy: Deputy, platforms: dict[str, ReadyCheck], host: str,
                           port: int) -> web.AppRunner:
    """``/healthz`` ``/readyz`` ``/metrics`` alone, for ``deputy worker`` and ``deputy
    scheduler`` (``--port``). The caller cleans the runner up."""
    web_app = web.Application()
    add_ops_routes(web_app, deputy, platforms)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
