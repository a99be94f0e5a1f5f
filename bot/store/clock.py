"""The time the store writes, from the clock of the database whose session is open.

Rows stamp themselves (``created_at`` default factories) and repositories stamp runs and
steps (``started_at``, ``finished_at``, ``lease_until``); neither is handed the app. So
``Database.session()`` makes its clock current for the session's block, and the app gives
its database its own clock (bot/app.py): the stamps, rate-limit windows, undo windows,
expiry and leases all read one time, and a test that sets the app's clock moves all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_current: ContextVar[Clock] = ContextVar("deputy_store_clock", default=system_clock)


def utcnow() -> datetime:
    """Now, by the clock of the open session's database (the system clock outside one)."""
    return _current.get()()


@contextmanager
def clock_in_use(clock: Clock) -> Iterator[None]:
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
