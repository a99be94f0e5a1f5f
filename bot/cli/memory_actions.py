"""What ``deputy memory`` does, as the text it prints; bot/cli/memory.py (the commands) imports
this module only when a command runs. The CLI acts as an operator (``cli:local:<user>``), and
every change is audited in the same transaction, as a change made in chat is."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import UserError
from bot.settings import Settings
from bot.store import audit
from bot.store import memories as store
from bot.store.database import Database
from bot.store.memories import SCOPES, MemoryRow
from bot.store.migrate import open_database

FIELDS = ("id", "team_key", "scope", "scope_key", "subject", "text", "kind", "value", "taught_by",
          "taught_by_name", "source_channel", "source_message", "created_at", "valid_from", "valid_to",
          "superseded_by", "expires_at", "forgotten_at", "forgotten_by")


async def _opened(settings: Settings) -> Database:
    """The database, with the keyring's audit keys: a change made here is audited with an
    HMAC like one made in chat, so `deputy audit verify` accepts it."""
    # lazy, as the CLI: only a command that runs needs the keyring
    from bot.audit_cli import audit_keys

    db = await open_database(settings)
    db.audit_keys = await audit_keys(settings)
    return db


def operator() -> str:
    return f"cli:local:{getpass.getuser()}"


def as_dict(row: MemoryRow) -> dict[str, Any]:
    out = {name: getattr(row, name) for name in FIELDS}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


def _line(row: MemoryRow) -> str:
    state = ("forgotten" if row.forgotten_at else "superseded" if row.valid_to else
             "expires " + row.expires_at.date().isoformat() if row.expires_at else "live")
    where = f"{row.scope} {row.scope_key}".strip()
    return (f"#{row.id:<4} {row.team_key} · {where} · {state} · {row.text} — "
            f"{row.taught_by_name or row.taught_by}, {row.created_at.date().isoformat()}")


async def list_memories(settings: Settings, person: str, history: bool, as_json: bool) -> str:
    db = await _opened(settings)
    try:
        async with db.session(all_teams=True) as session:
            rows = await store.listing(session, person=person, history=history)
    finally:
        await db.dispose()
    if as_json:
        return json.dumps([as_dict(r) for r in rows], indent=2, ensure_ascii=False)
    return "\n".join(_line(r) for r in rows) if rows else "No memories."


async def forget_one(settings: Settings, memory_id: int) -> str:
    db = await _opened(settings)
    try:
        async with db.session(all_teams=True) as session:
            row = await store.get(session, memory_id, for_update=True)
            if row is None:
                return f"There is no memory #{memory_id}."
            if row.forgotten_at is not None or row.valid_to is not None:
                return f"Memory #{memory_id} is no longer in use."
            await store.forget(session, row, operator())
            await audit.append(session, "memory_forgotten", actor_key=operator(), data={"memory": row.id})
    finally:
        await db.dispose()
    return f"Forgotten: #{memory_id} “{row.text}”."


async def erase_person(settings: Settings, person: str) -> str:
    db = await _opened(settings)
    try:
        async with db.session(all_teams=True) as session:
            ids = await store.erase_person(session, person, operator())
    finally:
        await db.dispose()
    if not ids:
        return f"There is no memory of {person}."
    return f"Erased {len(ids)} memories of {person}, history included."


def _parsed(path: Path) -> list[dict[str, Any]]:
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: not a JSON file of memories ({err})") from None
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("text"), str) and i.get("scope") in SCOPES
            and isinstance(i.get("team_key"), str) for i in items):
        raise UserError(f"{path}: expected a list of memories as `deputy memory export` writes them")
    return items


async def import_memories(settings: Settings, path: Path) -> str:
    """Each live memory of the file becomes a new memory (a newer one on the same subject
    supersedes it as usual); history, forgotten and expired entries are skipped."""
    items = [i for i in _parsed(path) if not i.get("valid_to") and not i.get("forgotten_at")
             and not (i.get("expires_at") and datetime.fromisoformat(i["expires_at"]) <= datetime.now().astimezone())]
    db = await _opened(settings)
    added: list[int | None] = []
    try:
        async with db.session(all_teams=True) as session:
            for item in items:
                row, _ = await store.add(session, MemoryRow(
                    team_key=item["team_key"], scope=item["scope"], scope_key=str(item.get("scope_key") or ""),
                    subject=str(item.get("subject") or item["text"])[:200].lower(), text=item["text"],
                    kind=str(item.get("kind") or ""), value=item.get("value"),
                    taught_by=str(item.get("taught_by") or operator()),
                    taught_by_name=str(item.get("taught_by_name") or ""), source_message=f"import:{path.name}",
                    expires_at=datetime.fromisoformat(item["expires_at"]) if item.get("expires_at") else None))
                added.append(row.id)
            await audit.append(session, "memory_imported", actor_key=operator(),
                               data={"file": path.name, "memories": added})
    finally:
        await db.dispose()
    return f"Imported {len(added)} memories from {path.name}."
