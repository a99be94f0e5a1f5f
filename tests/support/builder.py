"""Build-time parts for a test's Deputy: a clock the test moves, instead of reassigning the
app's parts after it is built."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock a test controls: call it for the time, ``set`` or ``advance`` it to move it.
    Pass it when building the app; the app, the store and the integrations then all read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        self.now += delta if delta is not None else timedelta(**parts)
        return self.now
