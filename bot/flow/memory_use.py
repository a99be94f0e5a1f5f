"""The card's "Using:" lines — which memories shaped the plan, and which past runs it reuses
— and the memories' [Forget] buttons.

The ids are kept with the plan version (``plan_versions.memories_used``, ``runs_used``), so every drawing of
the card says the same: when it is proposed, after a Modify (the edited version keeps them),
when approved, while it runs, and with the result. A memory forgotten or replaced since is
still named (it did shape this plan), marked so, and has no [Forget] button.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.chat.buttons import memory_button
from bot.chat.replies import Button
from bot.memory import recall
from bot.store import episodes, memories
from bot.store.episodes import EpisodeRow
from bot.store.goals import PlanView
from bot.store.memories import MemoryRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

USING = "Using: "


async def using(app: Deputy, view: PlanView) -> tuple[str, tuple[Button, ...]]:
    """("Using: … — from Ana Lima, 2 Dec (#4) · …\nUsing: run #3 …", the [Forget #4] buttons);
    ("", ()) when no memory shaped the plan and it repeats no past run."""
    ids = list(view.version.memories_used or [])
    reused = list(view.version.runs_used or [])
    if not ids and not reused:
        return "", ()
    async with app.database.session(team=view.goal.team_key) as session:
        rows = [row for i in ids if (row := await memories.get(session, i)) is not None]
        found = {e.run_id: e for e in await episodes.of_runs(session, view.goal.team_key, reused)}
    line, buttons = used_line(rows, app.clock())
    runs_line = reused_line([found[i] for i in reused if i in found])
    return "\n".join(x for x in (line, runs_line) if x), buttons


def used_line(rows: Sequence[MemoryRow], now: datetime) -> tuple[str, tuple[Button, ...]]:
    """:func:`using` with the memories at hand (``rows``: those of ``memories_used`` that
    exist, in its order)."""
    parts: list[str] = []
    buttons: list[Button] = []
    for row in rows:
        assert row.id is not None
        ended = row.forgotten_at is not None or row.valid_to is not None or (
            row.expires_at is not None and row.expires_at <= now)
        if row.forgotten_at is not None:
            mark = ", forgotten since"
        elif row.valid_to is not None:
            mark = ", replaced since"
        else:
            mark = ", expired since" if ended else ""
        parts.append(f"{row.text} — {recall.provenance(row)} (#{row.id}{mark})")
        if not ended:
            buttons.append(Button(str(memory_button(row.id, "forget")), f"Forget #{row.id}"))
    return (USING + " · ".join(parts) if parts else ""), tuple(buttons)


def reused_line(episodes: Sequence[EpisodeRow]) -> str:
    """"Using: run #3 “Invoice Acme Corp for October” of 2 Nov" — the past runs a plan repeats
    ("do the same for Globex", "invoice Acme like last month"); "" when it repeats none."""
    used = [f"run #{e.run_id} “{e.done}” of {e.finished_at.day} {e.finished_at:%b}" for e in episodes]
    return USING + " · ".join(used) if used else ""
