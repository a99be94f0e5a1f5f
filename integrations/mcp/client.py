"""The only module doing MCP I/O, with the official ``mcp`` SDK (``mcp.Client``, which drives
a ``ClientSession`` over ``stdio_client`` or ``streamable_http_client``).

Lifecycle: one persistent session per server for the life of the process, reconnected on the
next call after it fails. A stdio server is a subprocess, and starting one per call (a Python
server takes about a second) would dominate every step, and a ``for_each`` step of fifty
items would start fifty processes. The SDK's transports are anyio task groups that must be
entered and left by the same task, so each session is held open by a small owner task:
callers from any task share it (JSON-RPC multiplexes requests), ``aclose`` asks the owner to
leave, and if the event loop ends first its cancellation makes the owner leave anyway —
``stdio_client`` then terminates the subprocess, so no server process outlives Deputy.

Errors: a tool result with ``isError`` → PermanentError with the tool's text; a dead or
unreachable server, a dropped connection or a timeout → TransientError, whose ``sent`` says
whether the call may have reached the server: False for a failure to connect (nothing was
sent), None for a call cut off by a timeout or a dropped connection (the executor then
retries a read, the retry reconnecting, and fails a write as "outcome unknown"). Messages name the server and tool only: never the
env, headers or URL query, which may carry tokens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import mcp_types
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.client._transport import TransportStreams
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
from pydantic import ValidationError

from bot.sdk import NOT_PROCESSED_STATUSES, IntegrationError, PermanentError, TransientError
from integrations.mcp.config import McpServerConfig
from integrations.mcp.results import result_to_dict

log = logging.getLogger(__name__)

# the SDK's own default for the long-lived HTTP response stream
SSE_READ_TIMEOUT = 300.0
MAX_TOOL_PAGES = 50


class CallInterrupted(TransientError):
    """The request may have reached the server, but no answer came (timeout, dropped
    connection): retrying a read is safe; whether a write happened is unknown."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=None)


class Unreachable(TransientError):
    """The server could not be started or reached: the call was never sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class McpClient:
    """One configured server: lists its tools and calls them over a shared session."""

    def __init__(self, config: McpServerConfig) -> None:
        self.config = config
        self.name = config.name
        self._client: Client | None = None
        self._owner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._ready: asyncio.Future[Client] | None = None
        self._deadline = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._last_http_status: int | None = None

    # -- the session ------------------------------------------------------------------

    def _connection_lock(self) -> asyncio.Lock:
        # an asyncio.Lock belongs to one loop; a CLI command may run several loops in turn
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _session(self) -> Client:
        async with self._connection_lock():
            if self._owner is not None and not self._owner.done():
                if self._client is not None:
                    return self._client
                if self._ready is not None:  # a caller cancelled mid-connect: keep waiting
                    return await self._await_ready(self._ready)
            await self._drop()
            return await self._await_ready(self._start())

    def _start(self) -> asyncio.Future[Client]:
        loop = asyncio.get_running_loop()
        self._last_http_status = None
        self._ready = loop.create_future()
        # retrieve a failure nobody awaited (its caller was cancelled), so asyncio does not warn
        self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._deadline = loop.time() + self.config.connect_timeout_seconds
        self._stop = asyncio.Event()
        self._owner = asyncio.create_task(self._own(self._ready, self._stop), name=f"mcp-{self.name}")
        return self._ready

    async def _await_ready(self, ready: asyncio.Future[Client]) -> Client:
        # a caller cancelled while waiting (the executor's step timeout) leaves the connection
        # going, so a slow-starting server is not restarted from scratch on every retry
        try:
            async with asyncio.timeout_at(self._deadline):
                self._client = await asyncio.shield(ready)
        except TimeoutError:
            await self._drop()
            raise Unreachable(
                f"MCP server {self.name!r} did not answer within "
                f"{self.config.connect_timeout_seconds:g} s while connecting") from None
        except asyncio.CancelledError:
            if ready.cancelled():  # the owner was cancelled, not us: that is a failure
                await self._drop()
                raise Unreachable(f"MCP server {self.name!r}: connecting was interrupted") from None
            raise
        except Exception as err:  # noqa: BLE001 - any transport failure, translated below
            await self._drop()
            raise _connect_error(self.config, err, self._last_http_status) from None
        return self._client

    async def _own(self, ready: asyncio.Future[Client], stop: asyncio.Event) -> None:
        """Holds one session open until asked to stop (or cancelled with the loop)."""
        try:
            async with Client(self._transport(), mode="auto", cache=None,
                              read_timeout_seconds=self.config.timeout_seconds) as client:
                if not ready.done():
                    ready.set_result(client)
                await stop.wait()
        except Exception as err:  # noqa: BLE001 - handed to the waiting caller, or logged once
            if not ready.done():
                ready.set_exception(err)
            else:
                log.info("MCP server %r: session ended: %s", self.name, type(err).__name__)
        except BaseException:  # cancellation (by _drop, or with the loop): let it finish
            if not ready.done():
                ready.cancel()
            raise

    def _transport(self) -> Any:
        if self.config.transport == "stdio":
            params = StdioServerParameters(command=self.config.command, args=list(self.config.args),
                                           env=self.config.revealed_env() or None)
            return stdio_client(params)
        return self._http_transport()

    @asynccontextmanager
    async def _http_transport(self) -> AsyncIterator[TransportStreams]:
        async def remember_status(response: httpx2.Response) -> None:
            self._last_http_status = response.status_code

        timeout = httpx2.Timeout(self.config.timeout_seconds, read=SSE_READ_TIMEOUT)
        async with httpx2.AsyncClient(headers=self.config.revealed_headers(), timeout=timeout,
                                      event_hooks={"response": [remember_status]}) as http:
            async with streamable_http_client(self.config.url, http_client=http) as streams:
                yield streams

    async def _drop(self) -> None:
        """Ends the current session, if any; its owner closes the transport (and process)."""
        owner, stop, connected = self._owner, self._stop, self._client is not None
        self._client = self._owner = self._stop = self._ready = None
        if owner is None or owner.done() or stop is None:
            return
        if connected:
            stop.set()
        else:  # still in the handshake: nothing to close politely
            owner.cancel()
        try:
            async with asyncio.timeout(10):
                await asyncio.shield(owner)
        except TimeoutError:
            owner.cancel()
            log.warning("MCP server %r: session did not close in time; cancelled", self.name)
        except asyncio.CancelledError:
            if not owner.cancelled():
                raise  # we are the ones being cancelled
        except Exception as err:  # noqa: BLE001 - the owner already reported it; closing goes on
            log.debug("MCP server %r: closing raised %s", self.name, type(err).__name__)

    async def aclose(self) -> None:
        await self._drop()

    # -- the calls ----------------------------------------------------------------------

    async def list_tools(self) -> list[mcp_types.Tool]:
        client = await self._session()
        tools: list[mcp_types.Tool] = []
        cursor: str | None = None
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                for _ in range(MAX_TOOL_PAGES):
                    page = await client.list_tools(cursor=cursor)
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if cursor is None:
                        break
        except TimeoutError:
            raise TransientError(f"MCP server {self.name!r} did not list its tools in time") from None
        except (MCPError, ValidationError, OSError, httpx2.HTTPError) as err:
            raise await self._call_error("tools/list", err) from None
        return tools

    async def call_tool(self, tool: str, arguments: dict[str, Any], *,
                        probe_first: bool = False) -> dict[str, Any]:
        """``probe_first`` pings before the call, for writes: a session that died since the
        last call is then replaced before anything is sent, instead of failing the write as
        "outcome unknown" when it was never delivered."""
        client = await self._session()
        if probe_first and not await self._alive(client):
            async with self._connection_lock():
                await self._drop()
            client = await self._session()
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                result = await client.call_tool(tool, arguments)
        except TimeoutError:
            raise CallInterrupted(
                f"{self.name}.{tool}: the MCP server did not answer within "
                f"{self.config.timeout_seconds:g} s") from None
        except (MCPError, ValidationError, OSError, httpx2.HTTPError) as err:
            raise await self._call_error(tool, err) from None
        return result_to_dict(self.name, tool, result)

    async def _alive(self, client: Client) -> bool:
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                # ping is gone from the 2026-07-28 protocol; a tool listing works everywhere
                await client.list_tools()
        except (MCPError, ValidationError, OSError, httpx2.HTTPError, TimeoutError) as err:
            log.info("MCP server %r: session found dead (%s); reconnecting", self.name,
                     type(err).__name__)
            return False
        return True

    async def _call_error(self, what: str, err: Exception) -> IntegrationError:
        label = f"{self.name}.{what}"
        if isinstance(err, MCPError) and err.code not in (CONNECTION_CLOSED, REQUEST_TIMEOUT):
            status = self._last_http_status
            if status in (401, 403):
                return PermanentError(
                    f"{label}: the MCP server refused Deputy's credentials ({status}); check the "
                    f"headers of [[mcp_servers]] {self.name!r} in deputy.toml")
            if status is not None and (status == 429 or status >= 500):
                return TransientError(f"{label}: the MCP server answered {status}",
                                      sent=status not in NOT_PROCESSED_STATUSES)
            return PermanentError(f"{label}: the MCP server refused the call: {err.message[:300]}")
        if isinstance(err, ValidationError):
            return PermanentError(f"{label}: the MCP server sent a malformed answer")
        # the connection is gone: forget it so the next call (the executor's retry) reconnects
        async with self._connection_lock():
            await self._drop()
        return CallInterrupted(f"{label}: lost the connection to the MCP server")


def _connect_error(config: McpServerConfig, err: BaseException,
                   http_status: int | None) -> IntegrationError:
    """A connect failure in words that carry no secret (no env, headers or URL query)."""
    leaf = _first_leaf(err)
    where = f"MCP server {config.name!r} ({config.display_target()})"
    if isinstance(leaf, FileNotFoundError | PermissionError):
        return PermanentError(f"{where} cannot be started: {leaf.strerror or type(leaf).__name__}")
    if http_status in (401, 403):
        return PermanentError(f"{where} refused Deputy's credentials ({http_status}); check the "
                              "headers of this server in deputy.toml")
    if http_status == 404:
        return PermanentError(f"{where} has no MCP endpoint at that URL (404)")
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return Unreachable(f"{where} answered {http_status}")
    if isinstance(leaf, MCPError):
        return Unreachable(f"{where} closed the connection while connecting: {leaf.message[:200]}")
    return Unreachable(f"{where} cannot be reached ({type(leaf).__name__})")


def _first_leaf(err: BaseException) -> BaseException:
    # anyio task groups wrap failures in exception groups; the first leaf names the cause
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    return err
