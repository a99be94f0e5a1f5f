"""SQLite's WAL checkpoints, off the path of a commit.

In WAL mode every commit appends to the ``-wal`` file, and a checkpoint copies the pages
back into the database file (and, with ``synchronous=NORMAL``, syncs both to disk). By
default SQLite runs that checkpoint inside the commit that takes the WAL past 1,000 pages:
the event loop awaits that commit, so one step of a run in every hundred or so waited for a
whole checkpoint (the one slow gap a run at a fixed step of bench_parallel,
docs/benchmarks.md). Deputy's connections turn the automatic checkpoint off
(``wal_autocheckpoint=0``, bot/store/database.py) and a :class:`Checkpointer` runs the
checkpoints every ``every`` commits of the process instead, on a connection of its own in a
worker thread. What a commit guarantees is unchanged: the WAL holds it when the commit
returns; a checkpoint only moves it.

A ``PASSIVE`` checkpoint waits for nobody and blocks nobody, but the WAL starts over (and
stops growing) only when a writer finds all of it copied back, and the event loop goes on
committing while the thread copies. So the thread copies again until a pass finds nothing
written since the one before (the next writer then starts the WAL over); when commits never
leave it such a moment and the WAL has grown past ``restart_after`` pages, one ``RESTART``
checkpoint holds the writers back for the last few pages (a commit that comes then waits
for it: rare, and short, as the passive passes copied the rest).

Each process checkpoints after its own commits, so a file shared by several processes is
checkpointed by whichever of them writes; SQLite also checkpoints when the last connection
to a file closes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

log = logging.getLogger(__name__)

# ~5-10 pages per commit of a run's step: as often as SQLite's default of 1,000 pages would
CHECKPOINT_EVERY_COMMITS = 100
# pages (4 kB each) the WAL may reach while commits never pause before writers are held
# back for a moment to start it over
RESTART_AFTER_PAGES = 4000
_PASSES = 5


class Checkpointer:
    def __init__(self, path: str, every: int = CHECKPOINT_EVERY_COMMITS,
                 restart_after: int = RESTART_AFTER_PAGES) -> None:
        self.path = path
        self.every = every
        self.restart_after = restart_after
        self.checkpoints = 0  # how many ran, and how many had to hold writers back (tests, benches)
        self.restarts = 0
        self._commits = 0
        self._running: asyncio.Future[None] | None = None

    def committed(self, *_args: object) -> None:
        """A transaction of this process commits (SQLAlchemy's ``commit`` event, on the event
        loop): every ``every`` commits, a checkpoint starts in a thread, unless one still runs."""
        self._commits += 1
        if self._commits < self.every or (self._running is not None and not self._running.done()):
            return
        self._commits = 0
        self._running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        self._running.add_done_callback(_report)

    async def wait(self) -> None:
        """Until the checkpoint under way, if any, has finished (the database is being closed)."""
        if self._running is not None and not self._running.done():
            await asyncio.wait([self._running])

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            left = _copy_back(connection)
            if left > self.restart_after:
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                self.restarts += 1
        finally:
            connection.close()
        self.checkpoints += 1


def _copy_back(connection: sqlite3.Connection) -> int:
    """Passive passes until one finds nothing new since the pass before: 0 then (the next
    writer starts the WAL over); else the pages in the WAL."""
    previous = -1
    for _ in range(_PASSES):
        busy, pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if busy or pages < 0:
            return 0  # another connection is checkpointing, or the file is not in WAL mode
        if pages == previous == copied:
            return 0
        previous = pages
    return previous


def _report(done: asyncio.Future[None]) -> None:
    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        # the next one tries again; meanwhile the WAL only grows, nothing committed is lost
        log.warning("SQLite WAL checkpoint failed: %s", error)
