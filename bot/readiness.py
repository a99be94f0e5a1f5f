"""Readiness probes of one process (``GET /readyz``): each answers whether a part the
process depends on works right now.

A probe that calls a platform (Slack's ``auth.test``, Discord's ``/users/@me``) is cached:
Prometheus and load balancers ask every few seconds, and the platforms rate-limit. A
success is trusted for ``ok_for`` seconds, a failure only for ``failed_for``, so recovery
shows quickly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

ReadyCheck = Callable[[], Awaitable[bool]]

OK_FOR_SECONDS = 60.0
FAILED_FOR_SECONDS = 5.0


class CachedProbe:
    def __init__(self, probe: ReadyCheck, *, ok_for: float = OK_FOR_SECONDS,
                 failed_for: float = FAILED_FOR_SECONDS) -> None:
        self._probe = probe
        self._ok_for, self._failed_for = ok_for, failed_for
        self._result: bool | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()  # concurrent scrapes share one call

    async def __call__(self) -> bool:
        async with self._lock:
            age = time.monotonic() - self._at
            if self._result is not None and age < (self._ok_for if self._result else self._failed_for):
                return self._result
            self._result = await self._probe()
            self._at = time.monotonic()
            return self._result


def constant(value: bool) -> ReadyCheck:
    async def check() -> bool:
        return value

    return check
