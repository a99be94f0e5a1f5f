"""A provider on 127.0.0.1 with real latency and real throttling, and the integration that
calls it over HTTP, for the parallel executor's tests and benchmark.

The server (aiohttp) answers ``POST /send`` and ``POST /read`` with JSON after ``latency``
seconds; it records each request's arrival and the most it ever had in flight. Controls:
``throttle(n, retry_after)`` answers the next n requests 429 with ``Retry-After`` at once
(before any latency: a throttled request is refused, not processed); ``fail`` labels are
answered 400 (after any hold or latency); ``hold`` labels wait until ``release(label)``; ``gather`` holds every
request until that many are in flight at once (or ``gather_timeout`` passed), so a test
sees the concurrency it asked for however slow the machine is. Writes honour
``Idempotency-Key`` when ``idempotent``: a repeated key is answered from the first result.

The integration (``slowapi``) maps the answers with ``bot.sdk.error_for_status``, as every
HTTP integration does, so a 429 reaches the executor as a TransientError with retry_after.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.sdk import ActionSet, CallContext, LoadedIntegration, Manifest, error_for_status
from tests.fakes.local_server import serve_locally


@dataclass
class Arrival:
    at: float
    path: str
    label: str
    key: str
    status: int = 0  # what it was answered


@dataclass
class Provider:
    latency: float = 0.0
    idempotent: bool = True
    fail: set[str] = field(default_factory=set)
    gather: int = 0
    gather_timeout: float = 10.0
    arrivals: list[Arrival] = field(default_factory=list)
    effects: list[tuple[str, str]] = field(default_factory=list)  # (key, label), processed writes
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""
    _throttle: list[str] = field(default_factory=list)  # Retry-After of the next 429s
    _held: dict[str, asyncio.Event] = field(default_factory=dict)
    _answered: dict[str, dict[str, Any]] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _news: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def until(self, check: Callable[[], bool]) -> None:
        """Wait until ``check()`` holds; it is asked again after every arrival and answer."""
        while not check():
            self._news.clear()
            await self._news.wait()

    def throttle(self, count: int, retry_after: str) -> None:
        self._throttle += [retry_after] * count

    def hold(self, label: str) -> None:
        self._held[label] = asyncio.Event()

    def release(self, label: str) -> None:
        self._held[label].set()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/send", self._handle)
        app.router.add_post("/read", self._handle)
        self._runner, self.url = await serve_locally(app)
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        arrival = Arrival(time.monotonic(), request.path, str(body.get("label", "")),
                          request.headers.get("Idempotency-Key", ""))
        self.arrivals.append(arrival)
        try:
            return await self._respond(request, arrival)
        finally:
            self._news.set()

    async def _respond(self, request: web.Request, arrival: Arrival) -> web.Response:
        self._news.set()
        if self._throttle:
            arrival.status = 429
            return web.json_response({"error": "slow down"}, status=429,
                                     headers={"Retry-After": self._throttle.pop(0)})
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self._changed.set()
        try:
            await self._wait(arrival.label)
        finally:
            self.in_flight -= 1
        if arrival.label in self.fail:
            arrival.status = 400
            return web.json_response({"error": f"refused {arrival.label}"}, status=400)
        arrival.status = 200
        return web.json_response(self._answer(request.path, arrival))

    async def _wait(self, label: str) -> None:
        if self.gather:
            deadline = time.monotonic() + self.gather_timeout
            while self.most_in_flight < self.gather and time.monotonic() < deadline:
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        if label in self._held:
            await self._held[label].wait()
        if self.latency:
            await asyncio.sleep(self.latency)

    def _answer(self, path: str, arrival: Arrival) -> dict[str, Any]:
        if path == "/read":
            return {"label": arrival.label, "value": f"read {arrival.label}"}
        if self.idempotent and arrival.key in self._answered:
            return self._answered[arrival.key]
        self.effects.append((arrival.key, arrival.label))
        result = {"sent": arrival.label, "key": arrival.key}
        self._answered[arrival.key] = result
        return result


def slowapi(provider: Provider, *, max_concurrency: int = 4, name: str = "slowapi") -> LoadedIntegration:
    """The integration that talks to ``provider`` (one per test: its manifest is built here)."""
    label = {"type": "object", "required": ["label"], "additionalProperties": False,
             "properties": {"label": {"type": "string"}}}
    manifest = Manifest.model_validate({
        "name": name, "description": "A provider with latency and rate limits (tests).",
        "idempotent_writes": provider.idempotent, "max_concurrency": max_concurrency,
        "actions": [
            {"name": "list_items", "description": "COUNT items.", "effect": "read",
             "args": {"type": "object", "required": ["count"], "additionalProperties": False,
                      "properties": {"count": {"type": "integer", "minimum": 0, "maximum": 200}}}},
            {"name": "read", "description": "Read one label.", "effect": "read", "args": label},
            {"name": "send", "description": "Send one label.", "effect": "write", "args": label},
        ],
    })
    actions = ActionSet(name, client_factory=lambda env: provider)

    @actions.action("list_items")
    async def list_items(client: Provider, ctx: CallContext, *, count: int) -> dict[str, Any]:
        return {"items": [{"label": f"item-{i}"} for i in range(count)], "count": count}

    @actions.action("read")
    async def read(client: Provider, ctx: CallContext, *, label: str) -> dict[str, Any]:
        return await _post(client, name, "/read", label, ctx.idempotency_key)

    @actions.action("send")
    async def send(client: Provider, ctx: CallContext, *, label: str) -> dict[str, Any]:
        return await _post(client, name, "/send", label, ctx.idempotency_key)

    return LoadedIntegration(manifest=manifest, actions=actions)


async def _post(provider: Provider, name: str, path: str, label: str, key: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(
            provider.url + path, json={"label": label}, headers={"Idempotency-Key": key}) as resp:
        body = await resp.json()
        error = error_for_status(name, resp.status, dict(resp.headers), str(body.get("error", "")))
        if error is not None:
            raise error
        return dict(body)
