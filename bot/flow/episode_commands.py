"""`when did we last meet Initech?` in chat: answered from the episodes (what Deputy did),
not from memories. A person sees the runs of this channel and their own runs elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.chat.events import CommandInvoked
from bot.chat.replies import Notice
from bot.memory.recall import words
from bot.store import episodes
from bot.store.episodes import EpisodeRow

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

DAYS = 90
# what each verb did, in the words of a plan's summary or its actions
_DID = {"meet": ("meeting", "event", "call", "standup", "book"), "book": ("book", "event", "meeting"),
        "remind": ("remind",), "invoice": ("invoice",), "email": ("email", "send"), "call": ("call", "meeting")}


def _matches(row: EpisodeRow, verb: str, who: set[str]) -> bool:
    did = " ".join([row.goal, row.done, *row.actions]).lower()
    about = words(" ".join([row.goal, row.done, *row.people]).replace("@", " ").replace(".", " "))
    return any(w in did for w in _DID.get(verb, (verb,))) and who <= about


async def when_last(app: Deputy, event: CommandInvoked) -> Notice:
    verb, _, rest = event.argument.partition(" ")
    who = words(re.sub(r"\b(last|week|month|with)\b", " ", rest))
    team = f"{event.actor.platform}:{event.actor.team_id}"
    async with app.database.session() as session:
        rows = await episodes.since(session, team, app.clock() - timedelta(days=DAYS))
    mine = [r for r in rows if r.channel_id == event.where.channel_id or r.requester_key == event.actor.key]
    found = next((r for r in mine if r.outcome == "succeeded" and _matches(r, verb.lower(), who)), None)
    if found is None:
        return Notice(f"I find no run here in the last {DAYS} days that did that.")
    when = found.finished_at
    return Notice(f"Last on {when.day} {when:%b %Y}: {found.done} (run #{found.run_id}).")
