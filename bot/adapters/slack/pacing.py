"""Pacing of Slack posts per channel (:class:`ChannelLimiter`) and the threads this process
started or posted in (:class:`ThreadBook`), used by the Slack port."""

from __future__ import annotations

import asyncio
from collections import OrderedDict


class ChannelLimiter:
    """Posts to one channel, in arrival order, paced as Slack allows: about one per
    ``interval`` seconds with short bursts above that. A token bucket per channel holding
    up to ``burst`` posts, refilled one per ``interval``: a quiet channel's first posts (a
    request's "asked:" line and its plan card) go at once, and a longer burst is spaced.
    A channel whose bucket has refilled is as one never seen: once more than ``keep``
    channels are remembered, those are forgotten, so a process that posts in ever new
    channels keeps a bounded book (each a lock and a count the garbage collector walks)."""

    def __init__(self, interval: float, burst: int = 1, keep: int = 1024) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = interval
        self.burst = burst
        self._keep = self._forget_at = keep
        self._locks: dict[str, asyncio.Lock] = {}
        # per channel: (posts allowed now, loop time that count was taken)
        self._tokens: dict[str, tuple[float, float]] = {}

    def __len__(self) -> int:
        """How many channels are remembered."""
        return len(self._locks)

    async def wait(self, channel: str) -> None:
        if self.interval <= 0:
            return
        lock = self._locks.get(channel)
        if lock is None:
            lock = self._locks[channel] = asyncio.Lock()
        async with lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            tokens, since = self._tokens.get(channel, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - since) / self.interval)
            if tokens < 1:
                await asyncio.sleep((1 - tokens) * self.interval)
                tokens, now = 1.0, loop.time()
            self._tokens[channel] = (tokens - 1, now)
        if len(self._locks) > self._forget_at:
            self._forget_refilled(loop.time())

    def _forget_refilled(self, now: float) -> None:
        for channel, lock in list(self._locks.items()):
            tokens, since = self._tokens.get(channel, (0.0, now))
            if not lock.locked() and tokens + (now - since) / self.interval >= self.burst:
                del self._locks[channel]
                self._tokens.pop(channel, None)
        # while more than ``keep`` are still filling, look again only when the book doubled
        self._forget_at = max(self._keep, 2 * len(self._locks))


class ThreadBook:
    """Threads Deputy has posted in (bounded, most recent kept), so a mention there is a
    reply to that conversation rather than a new goal."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._threads: OrderedDict[tuple[str, str], None] = OrderedDict()

    def add(self, channel: str, thread: str) -> None:
        self._threads[(channel, thread)] = None
        self._threads.move_to_end((channel, thread))
        if len(self._threads) > self._size:
            self._threads.popitem(last=False)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._threads
