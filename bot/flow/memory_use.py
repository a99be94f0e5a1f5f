"""The card's "Using:" line — which memories shaped the plan — and its [Forget] buttons.

The ids are kept with the plan version (``plan_versions.memories_used``), so every drawing of
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
from bot.store import memories
from bot.store.goals import PlanView
from bot.store.memories import MemoryRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

USING = "Using: "


async def using(app: Deputy, view: PlanView) -> tuple[str, tuple[Button, ...]]:
    """("Using: … — from Ana Lima, 2 Dec (#4) · …", the [Forget #4] buttons); ("", ()) when no
    memory shaped the plan."""
    ids = list(view.version.memories_used or [])
    if not ids:
        return "", ()
    async with app.database.session(team=view.goal.team_key) as session:
        rows = [row for i in ids if (row := await memories.get(session, i)) is not None]
    return used_line(rows, app.clock())


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
