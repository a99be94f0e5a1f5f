"""``bench_planners --sites``: loaded by each Deputy process the bench starts (this folder is
put on its PYTHONPATH), it counts the transactions the process opens through
``Database.session`` by the code that opened them, and the audit records by kind, and writes
the counts to ``$BENCH_SESSION_SITES.<pid>`` every half second. Nothing of Deputy changes:
the wrapper opens the very same session."""

from __future__ import annotations

import os

if os.environ.get("BENCH_SESSION_SITES"):
    import collections
    import sys
    import threading
    import time
    import traceback
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager
    from typing import Any

    import bot.store.audit as _audit
    import bot.store.database as _database

    _counts: collections.Counter[str] = collections.Counter()
    _session = _database.Database.session
    _append = _audit.append

    def _site(skip: int) -> str:
        frames = [f for f in traceback.extract_stack()[:-skip] if f"{os.sep}bot{os.sep}" in f.filename]
        return " < ".join(f"{os.path.basename(f.filename)}:{f.name}" for f in reversed(frames[-3:]))

    @asynccontextmanager
    async def _counted(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        _counts["session " + _site(3)] += 1
        async with _session(self, *args, **kwargs) as session:
            yield session

    async def _counted_append(session: Any, kind: str, **kwargs: Any) -> None:
        _counts[f"audit {kind} " + _site(2)] += 1
        await _append(session, kind, **kwargs)

    _database.Database.session = _counted  # type: ignore[method-assign]
    _audit.append = _counted_append

    def _write() -> None:
        while True:
            time.sleep(0.5)
            with open(f"{os.environ['BENCH_SESSION_SITES']}.{os.getpid()}", "w") as out:
                out.write(" ".join(sys.argv[1:3]) + "\n")
                out.writelines(f"{n}\t{site}\n" for site, n in _counts.most_common())

    threading.Thread(target=_write, daemon=True, name="bench-session-sites").start()
