"""``deputy serve``'s HTTP server on an event loop of its own, in a dedicated thread.

Slack wants an answer to every request within 3 seconds, and a person notices far less.
The core (planning, database, the worker, the scheduler) runs on the process's main event
loop; were the HTTP server on that loop too, each ack would wait for whatever CPU the core
is using (hundreds of milliseconds when goals are planned at 200 a second). So the server
runs here, on a second loop in its own thread: a request to one of ``own_paths`` (Slack's
``/slack/events``) is verified, parsed, handed off (:mod:`bot.adapters.handoff`) and
answered on this thread; every other route (health, readiness, metrics, OAuth) touches the
core's database and clients, so its handler runs on the core's loop and only its response
is written here. Python's GIL is still shared: a busy core delays an ack by a thread
switch interval at a time, not by a whole planning step; while the front door runs, that
interval is 1 ms instead of Python's 5 ms (:data:`SWITCH_INTERVAL`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Collection

from aiohttp import web
from aiohttp.typedefs import Handler

# how long a thread may hold the GIL while another waits for it: the front thread waits
# at most this long for each slice of an ack while the core computes
SWITCH_INTERVAL = 0.001


class FrontDoor:
    def __init__(self, web_app: web.Application, host: str, port: int, *,
                 own_paths: Collection[str] = ()) -> None:
        self.web_app = web_app
        self.host = host
        self.port = port
        self.own_paths = frozenset(own_paths)
        self._core: asyncio.AbstractEventLoop | None = None
        self._switch = sys.getswitchinterval()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, name="deputy-front-door", daemon=True)
        web_app.middlewares.append(self._route)

    async def start(self) -> int:
        """Start listening (called on the core's loop); the port bound."""
        self._core = asyncio.get_running_loop()
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, SWITCH_INTERVAL))
        self._thread.start()
        self.port = await asyncio.wrap_future(self._ready)
        return self.port

    async def stop(self) -> None:
        """Stop taking requests, let those in flight finish, end the thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)
        sys.setswitchinterval(self._switch)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # start-up failed (e.g. the port is taken): tell start()
            if not self._ready.done():
                self._ready.set_exception(err)
            else:
                raise

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = web.AppRunner(self.web_app, shutdown_timeout=10)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, backlog=1024)
            await site.start()
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            self._ready.set_result(int(sockets[0].getsockname()[1]) if sockets else self.port)
            await self._stop.wait()
        finally:
            await runner.cleanup()

    @web.middleware
    async def _route(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in self.own_paths or self._core is None:
            return await handler(request)
        # read the body here, on the loop that owns the connection; the handler then sees it
        # already read, and runs where the core's database and clients live
        await request.read()
        async def on_core() -> web.StreamResponse:
            return await handler(request)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(on_core(), self._core))
