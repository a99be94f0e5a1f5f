"""Column types shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC on both databases (SQLite would return naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TeamScoped(SQLModel):
    """The base of every table whose rows belong to one team (``platform:team_id``, see
    ``bot.domain.team_key_of``): repositories filter every query on such a table by
    ``team_key``, and ``tests/store/test_team_scoping.py`` refuses one that does not."""

    # "" until the session's team stamps it (bot/store/team_scope.py)
    team_key: str = Field(default="", max_length=200, index=True)


def team_tables() -> list[str]:
    """The names of the team-scoped tables among those imported so far."""
    return sorted(t.name for t in SQLModel.metadata.tables.values() if "team_key" in t.c)
