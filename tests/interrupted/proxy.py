"""A TCP proxy on 127.0.0.1 that interrupts one write after the server has received it.

It stands between a client and a real or fake server (HubSpot and Stripe fakes, Radicale,
aiosmtpd, an MCP server over HTTP) and passes bytes both ways. Armed, it watches what clients
send; on the first connection whose outgoing bytes match, it lets the request through and
waits for the server's answer to start — by then the server has read the whole request and
acted on it — and then either withholds that answer for good (``stall``: the client waits
until its timeout) or closes the client's connection (``drop``). It interrupts once; every
later connection passes untouched, so a retry reaches the server normally.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Literal

Mode = Literal["stall", "drop"]
CHUNK = 65536


class InterruptingProxy:
    def __init__(self, upstream_port: int, matches: Callable[[bytes], bool], mode: Mode,
                 upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.matches = matches
        self.mode = mode
        self.armed = True
        self.interrupted = 0  # requests the server received whose answer was withheld or cut
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        # closing every connection ends its pumps (cancelling them instead makes asyncio log)
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            self._tasks.discard(task)
            return
        victim = asyncio.Event()  # set when this connection carries the write to interrupt
        self._writers |= {client_w, server_w}
        try:
            await asyncio.gather(self._upstream(client_r, server_w, victim),
                                 self._downstream(server_r, client_w, victim))
        finally:
            for writer in (client_w, server_w):
                writer.close()
                self._writers.discard(writer)
            self._tasks.discard(task)

    async def _upstream(self, client_r: asyncio.StreamReader, server_w: asyncio.StreamWriter,
                        victim: asyncio.Event) -> None:
        with contextlib.suppress(OSError):
            while chunk := await client_r.read(CHUNK):
                if self.armed and self.matches(chunk):
                    self.armed = False
                    victim.set()
                server_w.write(chunk)
                await server_w.drain()
        with contextlib.suppress(OSError):
            server_w.close()

    async def _downstream(self, server_r: asyncio.StreamReader, client_w: asyncio.StreamWriter,
                          victim: asyncio.Event) -> None:
        with contextlib.suppress(OSError):
            while chunk := await server_r.read(CHUNK):
                if victim.is_set():
                    self.interrupted += 1
                    if self.mode == "drop":
                        transport = client_w.transport
                        transport.abort()  # a reset, as when a connection dies mid-answer
                        return
                    # stall: swallow the answer and everything after it on this connection
                    while await server_r.read(CHUNK):
                        pass
                    return
                client_w.write(chunk)
                await client_w.drain()
        with contextlib.suppress(OSError):
            client_w.close()


def http_write(method_and_path: bytes) -> Callable[[bytes], bool]:
    """Matches a request line such as ``b"POST /crm/v3/objects/notes"``: the chunk starts with it."""
    return lambda chunk: chunk.startswith(method_and_path)


def http_writes(exclude: tuple[bytes, ...] = ()) -> Callable[[bytes], bool]:
    """Matches the first POST, PUT, PATCH or DELETE whose request line holds none of ``exclude``."""
    def matches(chunk: bytes) -> bool:
        line = chunk.split(b"\r\n", 1)[0]
        return (line.startswith((b"POST ", b"PUT ", b"PATCH ", b"DELETE "))
                and not any(part in line for part in exclude))
    return matches


def smtp_message_end(chunk: bytes) -> bool:
    """The end of an SMTP DATA section: the server stores the message when it reads this."""
    return chunk.endswith(b"\r\n.\r\n")
