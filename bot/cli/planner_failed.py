"""``deputy planner failed``: the queued requests the planner gave up, and their retention."""

from __future__ import annotations

from bot.settings import Settings
from bot.store import inbox
from bot.store.migrate import open_database

LIMIT = 200


async def list_failed(settings: Settings) -> str:
    db = await open_database(settings)
    try:
        # the operator's view over every workspace, on purpose
        async with db.session(all_teams=True) as session:
            rows = await inbox.failed(session, LIMIT + 1)
    finally:
        await db.dispose()
    if not rows:
        return "No failed requests."
    lines = [f"{'id':>8}  {'platform':<8}  {'kind':<14}  {'workspace':<12}  {'attempts':>8}  "
             f"{'queued (UTC)':<16}  {'failed (UTC)':<16}  last error"]
    for row in rows[:LIMIT]:
        lines.append(f"{row.id:>8}  {row.platform:<8}  {row.kind:<14}  {row.team or '-':<12}  {row.attempts:>8}  "
                     f"{row.received_at:%Y-%m-%d %H:%M}  {row.failed_at:%Y-%m-%d %H:%M}  {row.last_error or '-'}")
    if len(rows) > LIMIT:
        lines.append(f"(the oldest {LIMIT} shown; `deputy planner failed --purge` deletes those past the retention)")
    return "\n".join(lines)


async def purge_failed(settings: Settings, older_than_days: float) -> int:
    db = await open_database(settings)
    try:
        async with db.session(all_teams=True) as session:
            return await inbox.purge_failed(session, older_than_days)
    finally:
        await db.dispose()
