"""The card's "Using:" lines — which memories shaped the plan, and which past runs it reuses
— and the memories' [Forget] buttons.

The ids are kept with the plan version (``plan_versions.memories_used``, ``runs_used``), so every drawing of
the card says the same: when it is proposed, after a Modify (the edited version keeps them),
when approved, while it runs, and with the result. A memory forgotten or replaced since is
still named (it did shape this plan), marked so, and has no [Forget] button.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.chat.buttons import memory_button
from bot.chat.replies import Button
from bot.memory import recall
from bot.store import card_reads
from bot.store.episodes import EpisodeRow
from bot.store.goals import PlanView
from bot.store.memories import MemoryRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

USING = "Using: "


async def using(app: Deputy, view: PlanView) -> tuple[str, tuple[Button, ...]]:
    """("Using: … — from Ana Lima, 2 Dec (#4) · …\nUsing: run #3 …", the [Forget #4] buttons);
    ("", ()) when no memory shaped the plan and it repeats no past run. For the card's first
    posting; a redraw reads the same rows with the rest of the card (card_refresh)."""
    if not view.version.memories_used and not view.version.runs_used:
        return "", ()
    async with app.database.session(team=view.goal.team_key) as session:
        found, past_runs = await card_reads.used_rows(session, [view])
    return using_lines(view, found, past_runs, app.clock())


def using_lines(view: PlanView, found: Mapping[int, MemoryRow], past_runs: Mapping[int, EpisodeRow],
                now: datetime) -> tuple[str, tuple[Button, ...]]:
    """:func:`using` with the rows at hand (:func:`bot.store.card_reads.used_rows`): the one
    place that turns a version's ``memories_used`` and ``runs_used`` into its "Using:" lines,
    so the first card and every redraw say the same."""
    line, buttons = _used_line([found[i] for i in view.version.memories_used or [] if i in found], now)
    runs_line = _reused_line([past_runs[i] for i in view.version.runs_used or [] if i in past_runs])
    return "\n".join(x for x in (line, runs_line) if x), buttons


def _used_line(rows: Sequence[MemoryRow], now: datetime) -> tuple[str, tuple[Button, ...]]:
    """The memories' "Using:" line and their [Forget] buttons (``rows``: those of
    ``memories_used`` that exist, in its order)."""
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


def _reused_line(episodes: Sequence[EpisodeRow]) -> str:
    """"Using: run #3 “Invoice Acme Corp for October” of 2 Nov" — the past runs a plan repeats
    ("do the same for Globex", "invoice Acme like last month"); "" when it repeats none."""
    used = [f"run #{e.run_id} “{e.done}” of {e.finished_at.day} {e.finished_at:%b}" for e in episodes]
    return USING + " · ".join(used) if used else ""
