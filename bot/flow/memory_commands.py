"""`remember …`, `forget N`, `memories` and `what do you remember about X` in chat.

Only a person's own command creates a memory: this module is reached from a
CommandInvoked event alone, never from tool output, integration data or a model's reply.
Every change is audited in the same transaction as the change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.chat.events import CommandInvoked
from bot.chat.replies import Notice
from bot.domain import Actor, Where
from bot.memory import recall
from bot.memory.statements import NotAStatement, Statement, parse
from bot.policy.request_facts import member_of
from bot.store import audit, goals, memory_search
from bot.store import memories as store
from bot.store.database import Session
from bot.store.memories import MemoryRow, Scope, Visibility

if TYPE_CHECKING:
    from bot.core.deputy import Deputy

# people in this policy group may forget any memory of their team, besides its author
KEEPERS_GROUP = "memory_keepers"
_SCOPE_WORDS = {Scope.PERSON: "for you", Scope.CHANNEL: "for this channel", Scope.TEAM: "for the team"}


def visibility(actor: Actor, where: Where) -> Visibility:
    return Visibility(team_key=f"{actor.platform}:{actor.team_id}", channel_id=where.channel_id,
                      actor_key=actor.key)


def line(row: MemoryRow) -> str:
    until = f", until {row.expires_at.day} {row.expires_at:%b}" if row.expires_at else ""
    return f"#{row.id} {row.text} — {recall.provenance(row)} ({row.scope}{until})"


async def on_memory_command(app: Deputy, event: CommandInvoked) -> Notice:
    name = event.name.lower()
    if name == "remember":
        return await remember(app, event)
    if name == "forget":
        return await forget(app, event)
    return await list_memories(app, event)


async def remember(app: Deputy, event: CommandInvoked) -> Notice:
    try:
        said = parse(event.argument)
    except NotAStatement as err:
        return Notice(str(err), tone="warning")
    async with app.database.session(team=event.actor.team_key) as session:
        row, older = await keep(app, session, event.actor, event.where.channel_id, said, event.event_id or "")
    return Notice(kept_text(row, older), tone="success", audit_text=kept_audit(row, older))


async def keep(app: Deputy, session: Session, actor: Actor, channel_id: str, said: Statement,
               source_message: str, proposal: int | None = None) -> tuple[MemoryRow, list[MemoryRow]]:
    """Store what ``actor`` taught, in their words, and audit it in the same transaction;
    ``proposal``: the [Remember] click that kept it."""
    team_key = f"{actor.platform}:{actor.team_id}"
    scope_key = {Scope.PERSON: actor.key, Scope.CHANNEL: channel_id, Scope.TEAM: ""}[said.scope]
    await goals.upsert_actor(session, actor)
    row, older = await store.add(session, MemoryRow(
        team_key=team_key, scope=said.scope, scope_key=scope_key, subject=said.subject,
        text=said.text, kind=said.kind, value=said.value, taught_by=actor.key,
        taught_by_name=actor.label, source_channel=channel_id, source_message=source_message,
        expires_at=app.clock() + timedelta(days=said.days) if said.days else None))
    # the text's fingerprint, not the text: erasing a person's memories must reach every copy
    data: dict[str, object] = {"memory": row.id, "scope": row.scope, "scope_key": row.scope_key,
                               "text_digest": audit.digest(session, row.text), "superseded": [o.id for o in older],
                               "source_message": source_message}
    if proposal is not None:
        data["proposal"] = proposal
    await audit.append(session, "memory_added", actor_key=actor.key, data=data)
    return row, older


def kept_audit(row: MemoryRow, older: list[MemoryRow]) -> str:
    """What the audit log keeps of the reply: ids, never the memory's text."""
    return f"Remembered #{row.id}" + "".join(f", replacing #{o.id}" for o in older) + "."


def kept_text(row: MemoryRow, older: list[MemoryRow]) -> str:
    replaced = "".join(f"\nIt replaces #{o.id} “{o.text}” (kept in history)." for o in older)
    until = f" until {row.expires_at.day} {row.expires_at:%b %Y}" if row.expires_at else ""
    return (f"I'll remember {_SCOPE_WORDS[row.scope]}{until}: “{row.text}” (#{row.id}).{replaced}\n"
            f"`forget {row.id}` ends it.")


async def forget(app: Deputy, event: CommandInvoked) -> Notice:
    arg = event.argument.strip().lstrip("#")
    if not arg.isdigit():
        return Notice("Use: forget MEMORY_ID (see `memories` for the ids).", tone="warning")
    seen = visibility(event.actor, event.where)
    async with app.database.session(team=event.actor.team_key) as session:
        row = await store.get(session, int(arg), for_update=True)
        # a memory this person cannot see does not exist for them
        if row is None or not store.is_visible(row, seen):
            return Notice(f"There is no memory #{arg} here.", tone="warning")
        if row.forgotten_at is not None or row.valid_to is not None:
            return Notice(f"Memory #{arg} is no longer in use.")
        policy = await app.policy_of(event.actor.key, session)
        keeper = member_of(sorted(policy.members(KEEPERS_GROUP)), event.actor.key)
        if row.taught_by != event.actor.key and not keeper:
            return Notice(f"Memory #{arg} was taught by {row.taught_by_name or row.taught_by}; only they "
                          f"or the policy's {KEEPERS_GROUP} can forget it.", tone="warning")
        await store.forget(session, row, event.actor.key)
        await audit.append(session, "memory_forgotten", actor_key=event.actor.key, data={"memory": row.id})
    return Notice(f"Forgotten: #{arg} “{row.text}”. Plans will not use it.", tone="success",
                  audit_text=f"Forgotten: #{arg}.")


async def list_memories(app: Deputy, event: CommandInvoked) -> Notice:
    topic = event.argument.strip()
    seen = visibility(event.actor, event.where)
    async with app.database.session(team=event.actor.team_key) as session:
        rows = (await memory_search.search(session, seen, recall.query_words(topic, parts=False), every=True) if topic
                else await store.live(session, seen))
    if not rows:
        return Notice(f"I remember nothing about {topic} here." if topic else
                      "I remember nothing here yet. Teach me with `remember that …`.")
    head = f"What I remember about {topic}:" if topic else "What I remember here:"
    return Notice(head + "\n" + "\n".join(line(r) for r in rows[:50]),
                  audit_text=f"{head} " + ", ".join(f"#{r.id}" for r in rows[:50]))
