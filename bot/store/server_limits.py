"""What the PostgreSQL server allows: how many connections Deputy's processes may open in all
(the start-up check in bot/startup.py compares it with their pools)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from bot.store.database import Database, execute_plain

# the slots an ordinary role cannot take: superuser_reserved_connections, and since
# PostgreSQL 16 reserved_connections (pg_use_reserved_connections); missing_ok for older servers
_LIMITS = text("SELECT current_setting('max_connections')::int, "
               "current_setting('superuser_reserved_connections')::int "
               "+ coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0)")


@dataclass(frozen=True)
class ConnectionLimit:
    max_connections: int
    reserved: int  # of those, kept for superusers (and roles granted the reserved ones)

    @property
    def usable(self) -> int:
        """What a role that is not a superuser may open, across every client of the server."""
        return self.max_connections - self.reserved


async def connection_limit(database: Database) -> ConnectionLimit | None:
    """The server's connection limit; None on SQLite (no server, no pool to size). Raises
    :class:`bot.errors.DatabaseUnavailable` when the server cannot be reached."""
    if database.is_sqlite:
        return None
    async with database.session(all_teams=True) as session:  # reads no team's rows
        most, reserved = (await execute_plain(session, _LIMITS)).one()
    return ConnectionLimit(int(most), int(reserved))

