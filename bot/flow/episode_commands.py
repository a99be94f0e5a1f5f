"""`when did we last meet Initech?` and `who did we remind last week?` in chat: answered from
the episodes (what Deputy did), not from memories. A person sees the runs of this channel and
their own runs elsewhere, in their team — never another channel's runs of someone else."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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
        "remind": ("remind",), "invoice": ("create_invoice", "send_invoice"), "email": ("email", "send"), "call": ("call", "meeting")}
_PAST = {"meet": "met", "book": "booked", "remind": "reminded", "invoice": "invoiced", "email": "emailed",
         "call": "called"}
SPANS = ("today", "yesterday", "this week", "last week", "this month", "last month")


def _matches(row: EpisodeRow, verb: str, who: set[str]) -> bool:
    did = " ".join([row.goal, row.done, *row.actions]).lower()
    about = words(" ".join([row.goal, row.done, *row.people]).replace("@", " ").replace(".", " "))
    return any(w in did for w in _DID.get(verb, (verb,))) and who <= about


async def _visible(app: Deputy, event: CommandInvoked, start: datetime) -> list[EpisodeRow]:
    async with app.database.session(team=event.actor.team_key) as session:
        return await episodes.visible_since(session, f"{event.actor.platform}:{event.actor.team_id}",
                                            event.where.channel_id, event.actor.key, start)


async def when_last(app: Deputy, event: CommandInvoked) -> Notice:
    verb, _, rest = event.argument.partition(" ")
    who = words(re.sub(r"\b(last|week|month|with)\b", " ", rest))
    rows = await _visible(app, event, app.clock() - timedelta(days=DAYS))
    found = next((r for r in rows if r.outcome == "succeeded" and _matches(r, verb.lower(), who)), None)
    if found is None:
        return Notice(f"I find no run here in the last {DAYS} days that did that.")
    when = found.finished_at
    return Notice(f"Last on {when.day} {when:%b %Y}: {found.done} (run #{found.run_id}).")


def span(said: str, today: date) -> tuple[date, date] | None:
    """The days (first, last) that "last week", "this month"… mean on ``today``; weeks start on Monday."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    before = first_of_month - timedelta(days=1)
    return {"today": (today, today), "yesterday": (today - timedelta(days=1),) * 2,
            "this week": (monday, today), "last week": (monday - timedelta(days=7), monday - timedelta(days=1)),
            "this month": (first_of_month, today), "last month": (before.replace(day=1), before)}.get(said)


def _day(when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{local.day} {local:%b}"


async def who_did(app: Deputy, event: CommandInvoked) -> Notice:
    verb, _, rest = event.argument.partition(" ")
    verb, said = verb.lower(), " ".join(rest.lower().split()) or "last week"
    zone = ZoneInfo(event.actor.timezone or app.settings.timezone)
    days = span(said, app.clock().astimezone(zone).date())
    if days is None:
        return Notice(f"Ask `who did we {verb} …` with one of: {', '.join(SPANS)}.", tone="warning")
    start = datetime.combine(days[0], time(), zone)
    end = datetime.combine(days[1] + timedelta(days=1), time(), zone)
    rows = [r for r in await _visible(app, event, start) if r.finished_at < end
            and r.outcome == "succeeded" and _matches(r, verb, set())]
    if not rows:
        return Notice(f"I find no run here that {_PAST.get(verb, verb)} anyone {said}.")
    lines = [f"• {', '.join(r.people) or 'nobody named'} — {_day(r.finished_at, zone)}, run #{r.run_id} “{r.done}”"
             for r in reversed(rows)]
    dates = " – ".join(dict.fromkeys(f"{d.day} {d:%b}" for d in days))
    return Notice(f"{_PAST.get(verb, verb).capitalize()} {said} ({dates}), from the runs of this channel "
                  "and yours:\n" + "\n".join(lines))
