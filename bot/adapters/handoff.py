"""The bounded hand-off from the event loop that answers a platform to the loop that works.

An adapter's listener acknowledges a request and hands the rest (translation, the core's
dispatch: planning, database) to :class:`Handoff`. The work runs as a task on the *work
loop* — the loop the adapter was built on, where the core lives. When the acks are served
from another thread (``deputy serve``'s front door, :mod:`bot.adapters.front_door`), the
hand-off crosses threads with ``call_soon_threadsafe``, once per turn of the front door's
loop, after the acks of that turn are written: the ack never waits for it.

At most ``concurrency`` pieces run at once, the others wait their turn in arrival order:
under a flood, goals are planned a few at a time and their cards appear one after another,
rather than hundreds of plans advancing together and none finishing for seconds. At most
``limit`` pieces of work are pending (handed off and not finished): past that
:attr:`Handoff.full` is true and the adapter refuses the request with a clear "busy"
answer instead of queueing without end. On shutdown :meth:`Handoff.aclose` finishes
everything accepted (within a grace period) and names, in the log, anything it had to drop.
:meth:`Handoff.run` is the other way: the work the ack waits for (``web``'s inbox commit,
when ``DEPUTY_INBOX_COMMIT_BEFORE_ACK`` is on), run on the work loop and awaited.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
DEFAULT_LIMIT = 1000
DEFAULT_CONCURRENCY = 16


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Handoff:
    def __init__(self, name: str, limit: int = DEFAULT_LIMIT, concurrency: int = DEFAULT_CONCURRENCY,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        if limit < 1 or concurrency < 1:
            raise ValueError("limit and concurrency must be at least 1")
        self.name = name
        self.limit = limit
        self._running = asyncio.Semaphore(concurrency)  # FIFO: waiters go in arrival order
        # the work loop: given, the loop this is built on, or else the first spawn's
        self._loop = loop or _running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._pending = 0
        # spawned from another thread's loop, waiting for that loop's turn to end
        self._outgoing: list[tuple[Coroutine[Any, Any, None], str]] = []

    @property
    def pending(self) -> int:
        """Work accepted and not finished (queued for the work loop or running there)."""
        return self._pending

    @property
    def full(self) -> bool:
        return self._pending >= self.limit

    def _accept(self, work: Coroutine[Any, Any, None], here: asyncio.AbstractEventLoop | None,
                caller: str) -> asyncio.AbstractEventLoop:
        """The work loop (the first caller's, if none was given), with ``work`` counted as
        pending; without any loop, ``work`` is closed and RuntimeError raised."""
        if self._loop is None:
            self._loop = here
        if self._loop is None:
            work.close()
            raise RuntimeError(f"Handoff.{caller} needs a running event loop")
        with self._lock:
            self._pending += 1
        return self._loop

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` on the work loop; callable from any thread's event loop."""
        here = _running_loop()
        loop = self._accept(work, here, "spawn")
        if loop is here:
            self._start(work, what)
            return
        if here is None:  # no loop of its own to defer on: hand over at once
            self._hand_over([(work, what)])
            return
        # from the front door's loop: hand over once this turn of it is done, all that it
        # took at once. Waking the work loop lets its thread take the GIL, and the ack being
        # answered here would then wait for the work's first slice before its response is
        # written (py-spy of `web` at 200 req/s: a third of the front thread's time was here)
        with self._lock:
            self._outgoing.append((work, what))
            first = len(self._outgoing) == 1
        if first:
            here.call_soon(self._flush)

    async def run(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` on the work loop and return when it has finished (raising what it
        raised); callable from any thread's event loop. Counted as pending meanwhile, outside
        the ``concurrency`` bound (it is waited for: an inbox commit, which the requests
        arriving meanwhile join). Cancelled here, the work still runs to its end: others may
        be waiting for the same commit."""
        here = _running_loop()
        loop = self._accept(work, here, "run")

        async def tracked() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await work
            finally:
                if task is not None:
                    self._tasks.discard(task)
                self._done()

        if loop is here:
            await asyncio.shield(loop.create_task(tracked(), name=f"{self.name}:{what}"))
            return
        wrapped = tracked()
        try:
            running = asyncio.run_coroutine_threadsafe(wrapped, loop)
        except RuntimeError:  # the work loop is closed: nothing will run it
            self._done()
            wrapped.close()
            work.close()
            raise
        await asyncio.shield(asyncio.wrap_future(running))

    def _flush(self) -> None:
        with self._lock:
            batch, self._outgoing = self._outgoing, []
        try:
            self._hand_over(batch)
        except RuntimeError:  # raised to no one here: say what is lost
            log.error("%s: the work loop is closed; dropped %d accepted requests", self.name, len(batch))

    def _hand_over(self, batch: list[tuple[Coroutine[Any, Any, None], str]]) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._start_all, batch)
        except RuntimeError:  # the work loop is closed: nothing will run it
            for work, _ in batch:
                self._done()
                work.close()
            raise

    def _start_all(self, batch: list[tuple[Coroutine[Any, Any, None], str]]) -> None:
        for work, what in batch:
            self._start(work, what)

    def _start(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._in_turn(work), name=f"{self.name}:{what}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def _in_turn(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            async with self._running:
                await work
        finally:
            work.close()  # cancelled while waiting its turn: never started, never awaited

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._done()
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1

    async def drain(self) -> None:
        """Wait, on the work loop, until everything accepted so far has finished."""
        while self._pending:
            if self._tasks:  # asyncio.wait: a cancelled drain leaves the tasks running
                await asyncio.wait(list(self._tasks))
            else:  # handed off from another thread, not started yet
                await asyncio.sleep(0.005)

    async def aclose(self, grace: float) -> None:
        """Finish the accepted work within ``grace`` seconds; cancel, and log, what is left."""
        try:
            await asyncio.wait_for(self.drain(), grace)
        except TimeoutError:
            left = sorted(t.get_name() for t in self._tasks)
            log.error("shutting down with %d accepted %s requests unfinished after %.0f s: %s",
                      self._pending, self.name, grace, ", ".join(left))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
