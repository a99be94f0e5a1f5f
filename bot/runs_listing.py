"""``deputy runs list`` without the ORM: the runs read with the plain driver
(bot/store/plain_runs.py), shown as the ORM's path (bot/runs_report.py) shows them.

It answers only when it is sure to answer what the ORM's path would: the embedded database
already at the migrations' heads, a URL the driver takes as it is, no error. Otherwise
:func:`plain_runs` returns None and the command takes the ORM's path, which migrates, names an
unreachable database, or refuses a team Deputy does not know, as before. With ``--team`` it
answers only when that team has runs (a team without runs may not exist: the ORM's path tells).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.home import DATABASE_FILE_NAME
from bot.store.plain_runs import Row, postgresql_dsn, postgresql_runs, sqlite_runs

if TYPE_CHECKING:
    from bot.settings import Settings


def _utc(value: Any) -> datetime | None:
    """As bot.store.types.UTCDateTime reads a time: aware UTC (SQLite keeps the text of a
    naive UTC time, PostgreSQL an aware one)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def summary(run_id: int, goal_id: int, status: str, goal_text: str | None, created_at: datetime | None,
            finished_at: datetime | None, error: str | None) -> dict[str, Any]:
    """One run as ``runs list --json`` shows it (and ``runs show`` begins)."""
    return {"id": run_id, "goal_id": goal_id, "status": status, "goal": goal_text or "",
            "created_at": _iso(created_at), "finished_at": _iso(finished_at), "error": error or None}


def _summaries(rows: list[Row]) -> list[dict[str, Any]]:
    return [summary(int(i), int(goal), str(status), text, _utc(created), _utc(finished), error)
            for i, goal, status, text, created, finished, error in rows]


def print_runs(items: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        typer.echo("No runs yet. Start one with `deputy shell`.")
        return
    for item in items:
        typer.echo(f"#{item['id']:<4} {item['status']:<10} goal #{item['goal_id']}: {item['goal'][:70]}")


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file of the configured database, when its URL is a plain path."""
    if settings.uses_embedded_database:
        return settings.home / DATABASE_FILE_NAME
    scheme, sep, path = settings.resolved_database_url.partition(":///")
    if scheme not in ("sqlite", "sqlite+aiosqlite") or not sep or path in ("", ":memory:") \
            or any(c in path for c in "?%"):
        return None
    return Path(path)


def plain_runs(settings: Settings, team: str | None) -> list[dict[str, Any]] | None:
    """The runs ``deputy runs list`` shows, read with the plain driver; None when the ORM's
    path must answer (see the module's docstring)."""
    path = sqlite_file(settings)
    if path is not None:
        # every command that opens the embedded database migrates it first (a configured one
        # is left to `deputy db upgrade`): this reader may skip that only when it is at the heads
        rows = sqlite_runs(path, team, check_version=settings.uses_embedded_database)
    else:
        dsn = postgresql_dsn(settings.resolved_database_url)
        if dsn is None:
            return None
        import asyncio

        rows = asyncio.run(postgresql_runs(dsn, team))
    if rows is None or (team is not None and not rows):
        return None
    try:
        return _summaries(rows)
    except ValueError:  # a time stored in a form this reader does not know: the ORM's reads it
        return None
