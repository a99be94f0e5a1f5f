"""The notes MCP server (``notes_server.py``, written with the mcp SDK) reached two ways:
as a stdio subprocess, and over streamable HTTP served by uvicorn on 127.0.0.1 port 0 in
the test's own event loop, behind a bearer-token check like a real hosted server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from integrations.mcp.config import McpServerConfig
from tests.integrations.mcp.notes_server import OWNER_ENV, build_server

SERVER_SCRIPT = str(Path(__file__).with_name("notes_server.py"))
HTTP_TOKEN = "tok-3f9a-very-secret"
OWNER_SECRET = "owner-secret-7d1e"


def stdio_config(name: str = "notes", timeout: float = 10.0, **overrides: Any) -> McpServerConfig:
    fields: dict[str, Any] = {
        "name": name, "transport": "stdio", "command": sys.executable, "args": [SERVER_SCRIPT],
        "env": {OWNER_ENV: OWNER_SECRET}, "timeout_seconds": timeout}
    return McpServerConfig(**(fields | overrides))


def mcp_config(**fields: Any) -> McpServerConfig:
    """A config as deputy.toml would give it (plain strings for env and headers)."""
    return McpServerConfig.model_validate(fields)


@pytest.fixture
def notes_stdio() -> Callable[..., McpServerConfig]:
    return stdio_config


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class BearerCheck:
    """Answers 401 unless the request carries the expected bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if headers.get(b"authorization") != f"Bearer {self.token}".encode():
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await self.app(scope, receive, send)


@dataclass
class HttpNotes:
    url: str
    server: uvicorn.Server
    serving: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.serving

    def config(self, token: str = HTTP_TOKEN, timeout: float = 10.0, **overrides: Any) -> McpServerConfig:
        fields: dict[str, Any] = {
            "name": "notes_http", "transport": "http", "url": self.url,
            "headers": {"Authorization": f"Bearer {token}"}, "timeout_seconds": timeout}
        return McpServerConfig(**(fields | overrides))


class InLoopServer(uvicorn.Server):
    """uvicorn serving inside a test's event loop, leaving the process's signals alone.

    ``uvicorn.Server.serve`` takes SIGINT and SIGTERM while it serves and puts back what it
    found when it stops. Started in a fixture's set-up and stopped in its teardown (two
    ``Runner.run`` calls under pytest-asyncio), what it found was the set-up run's own SIGINT
    handler, which the run had not been able to remove (uvicorn's was in place); uvicorn put
    it back for good: the test process then answered SIGINT with that finished run's handler
    (a KeyboardInterrupt raised wherever the main thread was, e.g. in a gc callback), and no
    later ``asyncio.run`` installed its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving_notes() -> AsyncIterator[HttpNotes]:
    """The notes server over streamable HTTP on a free port of 127.0.0.1, behind BearerCheck."""
    app = BearerCheck(build_server().streamable_http_app(), HTTP_TOKEN)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = InLoopServer(uvicorn.Config(app, log_level="error", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    try:
        yield HttpNotes(url=f"http://127.0.0.1:{port}/mcp", server=server, serving=serving)
    finally:
        server.should_exit = True
        await serving
        sock.close()


@pytest.fixture
async def notes_http() -> AsyncIterator[HttpNotes]:
    async with serving_notes() as notes:
        yield notes
