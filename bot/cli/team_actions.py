"""What ``deputy teams`` does, as the text it prints; bot/cli/teams.py (the commands) imports
this module only when a command runs. Every change is audited in the same transaction, in
the team's own chain (a deletion in the operator's chain: the team's is deleted with it)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from typing import Any

from bot.errors import UserError
from bot.flow import team_settings
from bot.settings import Settings
from bot.store import audit, team_data, teams
from bot.store.database import Database
from bot.store.migrate import open_database
from bot.store.schema import import_all_tables
from bot.store.teams import TeamRow, TeamStatus


def operator() -> str:
    return f"cli:local:{getpass.getuser()}"


async def _opened(settings: Settings) -> Database:
    """The database with the keyring's audit keys (`deputy audit verify` accepts what the CLI
    records), every table module loaded (export and delete cover every team table)."""
    from bot.audit_cli import audit_keys  # lazy, as the CLI: only a command that runs needs it

    import_all_tables()
    db = await open_database(settings)
    db.audit_keys = await audit_keys(settings)
    return db


def checked_key(key: str) -> str:
    try:
        teams.split_key(key)
    except ValueError as err:
        raise UserError(str(err)) from None
    return key


def _as_dict(row: TeamRow) -> dict[str, Any]:
    return {"key": row.key, "platform": row.platform, "external_id": row.external_id, "name": row.name,
            "status": row.status, "settings": row.settings, "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat()}


async def list_teams(settings: Settings, as_json: bool) -> str:
    db = await _opened(settings)
    try:
        async with db.session(all_teams=True) as session:
            rows = await teams.listing(session)
    finally:
        await db.dispose()
    if as_json:
        return json.dumps([_as_dict(r) for r in rows], indent=2, ensure_ascii=False)
    return "\n".join(f"{r.key:<34} {r.status:<9} {r.name}" for r in rows) if rows else "No teams."


async def show_team(settings: Settings, key: str) -> str:
    db = await _opened(settings)
    try:
        async with db.session(team=checked_key(key)) as session:
            row = await teams.get(session, key)
            counts = await team_data.counts(session, key)
    finally:
        await db.dispose()
    if row is None and not any(counts.values()):
        raise team_data.no_such_team(key)
    head = ([f"{row.key} · {row.name or '(no name)'} · {row.status}",
             *team_settings.describe(row.platform, row.settings)] if row is not None else
            [f"{key} · no settings of its own (the deployment's defaults) · active"])
    rows = [f"  {table}: {n}" for table, n in counts.items() if n]
    return "\n".join([*head, "Rows:", *(rows or ["  none"])])


async def set_status(settings: Settings, key: str, status: str) -> str:
    db = await _opened(settings)
    try:
        async with db.session(team=checked_key(key)) as session:
            row = await teams.get(session, key, for_update=True)
            if row is None:
                if status == TeamStatus.ACTIVE:
                    raise team_data.no_such_team(key)
                row, _ = await teams.ensure(session, key)
            before = row.status
            await teams.set_status(session, row, status)
            await audit.append(session, f"team_{'enabled' if status == TeamStatus.ACTIVE else 'disabled'}",
                               actor_key=operator(), team_key=key, data={"team": key, "before": before})
    finally:
        await db.dispose()
    return f"{key} is {status} (was {before})."


async def change_setting(settings: Settings, key: str, name: str, values: list[str]) -> str:
    db = await _opened(settings)
    try:
        async with db.session(team=checked_key(key)) as session:
            row, _ = await teams.ensure(session, key)
            before = dict(row.settings)
            await teams.set_settings(session, row, team_settings.changed(row.platform, before, name, values))
            await audit.append(session, "team_settings", actor_key=operator(), team_key=key,
                               data={"team": key, "before": before, "after": row.settings})
            lines = team_settings.describe(row.platform, row.settings)
    finally:
        await db.dispose()
    return "\n".join([f"Saved: {key}", *lines])


async def export_team(settings: Settings, key: str, write: Callable[[str], object]) -> int:
    """Write the team's rows as JSON Lines; returns how many."""
    db = await _opened(settings)
    written = 0
    try:
        async with db.session(team=checked_key(key)) as session:
            async for line in team_data.export_lines(session, key):
                write(line)
                written += 1
    finally:
        await db.dispose()
    return written


async def delete_team(settings: Settings, key: str, *, dry_run: bool, confirm: Callable[[str], bool]) -> str:
    db = await _opened(settings)
    try:
        async with db.session(team=checked_key(key)) as session:
            counts = await team_data.counts(session, key)
        shown = "\n".join(f"  {table}: {n}" for table, n in counts.items() if n) or "  none"
        if dry_run:
            return f"Would delete from {key} (credentials first):\n{shown}"
        if not any(counts.values()):
            raise UserError(f"There is nothing of {key} to delete.")
        if not confirm(f"Delete everything of {key}?\n{shown}\n"):
            return "Nothing deleted."
        async with db.session(team=key) as session:
            deleted = await team_data.delete_all(session, key)
            await audit.append(session, "team_deleted", actor_key=operator(), team_key=None,
                               data={"team": key, "rows": {t: n for t, n in deleted.items() if n}})
    finally:
        await db.dispose()
    done = "\n".join(f"  {table}: {n}" for table, n in deleted.items() if n)
    return f"Deleted everything of {key}:\n{done}"
