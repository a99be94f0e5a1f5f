"""Real Radicale CalDAV servers started on 127.0.0.1 for the calendar contract tests.

One server without authentication (each test gets a fresh user, so tests never see each
other's events) and one with an htpasswd file, to see a wrong password turn into
"reconnect". Both are started once per session: starting takes about a second.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from caldav.davclient import DAVClient

from bot.domain import Actor
from bot.registry import CallContext
from integrations.calendar.client import CalDavClient

AUTH_USER = "alice"
AUTH_PASSWORD = "correct-horse-battery-staple"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"radicale exited with {process.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("radicale did not start within 15 s")


def _start_radicale(folder: Path, *auth: str) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable, "-m", "radicale", "--config", "",
        "--server-hosts", f"127.0.0.1:{port}",
        "--storage-filesystem-folder", str(folder / "collections"),
        "--logging-level", "warning",
        "--auth-delay", "0",  # Radicale waits 1 s after every 401; caldav meets one per login
        *auth,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def radicale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _start_radicale(tmp_path_factory.mktemp("radicale"), "--auth-type", "none")


@pytest.fixture(scope="session")
def radicale_auth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("radicale-auth")
    users = folder / "users"
    users.write_text(f"{AUTH_USER}:{AUTH_PASSWORD}\n")
    yield from _start_radicale(
        folder,
        "--auth-type", "htpasswd",
        "--auth-htpasswd-filename", str(users),
        "--auth-htpasswd-encryption", "plain",
    )  # fmt: skip


@dataclass
class CalendarAccount:
    url: str
    username: str
    password: str

    @property
    def credentials(self) -> dict[str, str]:
        return {"url": self.url, "username": self.username, "password": self.password}

    def context(self, key: str = "run-1:s1", timezone: str = "Europe/London") -> CallContext:
        actor = Actor(platform="shell", team_id="local", user_id=self.username, timezone=timezone)
        return CallContext(idempotency_key=key, actor=actor, timezone=timezone, credentials=self.credentials)

    def raw_events(self) -> list[str]:
        """Every stored object's iCalendar text, read straight from the server."""
        with DAVClient(url=self.url, username=self.username, password=self.password) as dav:
            texts: list[str] = []
            for calendar in dav.principal().get_calendars():
                texts.extend(str(event.data) for event in calendar.get_events())
            return texts


def _make_account(url: str, username: str, password: str) -> CalendarAccount:
    with DAVClient(url=url, username=username, password=password) as dav:
        principal = dav.principal()
        principal.make_calendar(name="Work", cal_id="work")
        principal.make_calendar(name="Home", cal_id="home")
    return CalendarAccount(url=url, username=username, password=password)


@pytest.fixture
def account(radicale_url: str) -> CalendarAccount:
    """A fresh user on the open server, with two calendars: Work and Home."""
    return _make_account(radicale_url, f"user-{uuid.uuid4().hex[:8]}@example.com", "any-password")


@pytest.fixture
def client() -> CalDavClient:
    return CalDavClient(timeout_seconds=5)


@dataclass
class CannedServer:
    """A tiny HTTP server on 127.0.0.1 answering every request with one canned response
    (or never answering, to test timeouts). For failures Radicale cannot be made to show."""

    status: int = 500
    headers: dict[str, str] | None = None
    hang: bool = False
    body: bytes = b""
    url: str = ""
    requests: int = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                0,
            )
            await reader.readexactly(length)
            self.requests += 1
            if self.hang:
                await asyncio.sleep(30)
            extra = "".join(f"{k}: {v}\r\n" for k, v in (self.headers or {}).items())
            writer.write(
                f"HTTP/1.1 {self.status} Canned\r\nContent-Length: {len(self.body)}\r\n"
                f"Connection: close\r\n{extra}\r\n".encode() + self.body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def canned() -> AsyncIterator[CannedServer]:
    server_state = CannedServer()
    server = await asyncio.start_server(server_state._handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server_state.url = f"http://127.0.0.1:{port}/"
    async with server:
        yield server_state
        server.close()
