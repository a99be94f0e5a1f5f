"""Operational HTTP routes shared by every process that serves HTTP: health, readiness and
Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot import metrics
from bot.app import Deputy

# a platform reports whether it is connected right now (Discord gateway, Socket Mode …)
ConnectedCheck = Callable[[], bool]


def add_ops_routes(web_app: web.Application, deputy: Deputy,
                   platforms: dict[str, ConnectedCheck], *,
                   metrics_max_age: float = metrics.DATABASE_CACHE_SECONDS) -> None:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        checks: dict[str, bool] = {}
        try:
            async with asyncio.timeout(2):
                async with deputy.database.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except (OSError, TimeoutError, Exception):  # noqa: BLE001 - any failure means not ready
            checks["database"] = False
        for name, connected in platforms.items():
            checks[name] = connected()
        ready = all(checks.values())
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    gauges = metrics.DatabaseGauges(deputy.database, metrics_max_age)

    async def scrape(request: web.Request) -> web.Response:
        await gauges.refresh()
        return web.Response(body=metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", scrape)
