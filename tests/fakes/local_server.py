"""Serving a fake's aiohttp app on a free port of 127.0.0.1, as the fakes all do."""

from __future__ import annotations

from aiohttp import web


async def serve_locally(app: web.Application, *, access_log: bool = False) -> tuple[web.AppRunner, str]:
    """Start ``app`` on a port the system picks; (its runner, which ``cleanup()`` stops, and
    its base URL ``http://127.0.0.1:<port>``). No access log unless asked: a fake's log would
    be the real service's, and may hold tokens."""
    runner = web.AppRunner(app) if access_log else web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"
