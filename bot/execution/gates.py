"""One gate per integration, shared by every call of this process: at most the manifest's
``max_concurrency`` calls at once, and a pause for all of them when the provider asks to slow
down (a 429 with ``Retry-After``), so one throttled call slows the whole integration instead
of its siblings piling more requests onto a provider that already refused one.

Gates are kept per registry (one app) and per event loop (an asyncio semaphore belongs to
one), so two apps in one process, or a test's fresh loop, never share a limit by accident.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot.registry import Registry

DEFAULT_MAX_CONCURRENCY = 4


class Gate:
    def __init__(self, limit: int, now: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._now = now
        self._until = 0.0
        self.pauses = 0  # how many times a provider asked to slow down (for tests and logs)

    def pause(self, seconds: float) -> None:
        """Hold every call that has not started for ``seconds`` (from now)."""
        self.pauses += 1
        self._until = max(self._until, self._now() + max(0.0, seconds))

    def paused_for(self) -> float:
        return max(0.0, self._until - self._now())

    async def _open(self) -> None:
        # a deadline that another 429 may push later, not an event: sleep until it has passed
        while (wait := self.paused_for()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A turn to call: after any pause, one of ``limit`` slots."""
        await self._open()
        async with self._slots:
            await self._open()  # a pause that began while this call waited for a slot
            yield


_GATES: weakref.WeakKeyDictionary[Registry, tuple[asyncio.AbstractEventLoop, dict[str, Gate]]] = (
    weakref.WeakKeyDictionary())


def gate_for(registry: Registry, integration: str) -> Gate:
    loop = asyncio.get_running_loop()
    held = _GATES.get(registry)
    if held is None or held[0] is not loop:
        held = (loop, {})
        _GATES[registry] = held
    gates = held[1]
    if integration not in gates:
        loaded = registry.get(integration)
        limit = loaded.manifest.max_concurrency if loaded is not None else DEFAULT_MAX_CONCURRENCY
        gates[integration] = Gate(limit)
    return gates[integration]
