"""A session belongs to one team, or says it works across teams.

A team (``platform:team_id``, :func:`bot.domain.team_key_of`) is the unit of isolation. Every
table whose rows belong to a team derives from :class:`bot.store.types.TeamScoped` and has
a ``team_key`` column. A session opened with ``database.session(team=key)``:

- adds ``team_key = key`` to every ORM SELECT, UPDATE and DELETE on such a table, lookups by
  id (``session.get``) and joins included (SQLAlchemy's ``with_loader_criteria``), so a row of
  another team is simply not there: a lookup by id returns None, a listing leaves it out, an
  update changes nothing;
- stamps new rows with the team, and refuses to write a row of another team.

Work that is about every team by nature (the worker claiming the next queued run, the
scheduler's sweeps, the vault's key rotation, the operator's CLI over all teams) opens
``database.session(all_teams=True)`` and says so. ``tests/store/test_team_scoping.py``
installs a checker that refuses any statement on a team table from a session that declared
neither, and any SELECT whose SQL lacks the team predicate.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from bot.domain import LOCAL_TEAM
from bot.store.types import TeamScoped

TEAM = "team_key"  # session.info: the one team this session may see
ALL_TEAMS = "all_teams"  # session.info: True when the session works across teams
OPENED_AT = "opened_at"  # session.info: file:line that opened a session declaring neither


class UndeclaredTeam(UserWarning):
    """A session was opened with neither ``team=`` nor ``all_teams=True``: it sees every
    team's rows and stamps new ones with the shell's team. Nothing in ``bot/`` or
    ``integrations/`` does (the test suite's checker fails a query from such a session);
    tools and tests reading rows directly still may."""


class OtherTeamsRow(Exception):
    """A session of one team was about to write a row of another team."""


def declare(session: Session, team: str | None, all_teams: bool) -> None:
    if team is not None and all_teams:
        raise ValueError("a session is either one team's or all teams', not both")
    if team is not None:
        if not team or ":" not in team:
            raise ValueError(f"a team key is platform:team_id, got {team!r}")
        session.info[TEAM] = team
    session.info[ALL_TEAMS] = all_teams
    if team is None and not all_teams:
        filename, line = _opener()
        session.info[OPENED_AT] = f"{filename}:{line}"
        # attributed to the opener, so the warning shows once per place that forgot
        warnings.warn_explicit(UndeclaredTeam("a session declared no team (neither team= nor all_teams=True)"),
                               UndeclaredTeam, filename, line)


def _opener() -> tuple[str, int]:
    """The file and line of the code that opened the session (past contextlib and the store)."""
    frame = sys._getframe(1)
    skipped = (__file__, contextlib.__file__, _DATABASE_FILE)
    while frame.f_back is not None and frame.f_code.co_filename in skipped:
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


_DATABASE_FILE = str(Path(__file__).with_name("database.py"))


def team_of(session: Any) -> str | None:
    """The team a session (sync or async) belongs to; None when it works across teams."""
    info = getattr(session, "info", {})
    team = info.get(TEAM)
    return team if isinstance(team, str) else None


@event.listens_for(Session, "do_orm_execute")
def _only_this_team(state: ORMExecuteState) -> None:
    team = state.session.info.get(TEAM)
    if team is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_criteria(team))


def _criteria(team: str) -> tuple[Any, ...]:
    """The team's criteria on every team table, built once per team (and again when a module
    defining a team table was imported since): building them for every statement cost more
    than the rest of a short transaction."""
    classes = _team_classes()
    built = _CRITERIA.get(team)
    if built is not None and built[0] is classes:
        return built[1]
    if len(_CRITERIA) >= _MOST_TEAMS:
        _CRITERIA.clear()
    criteria = tuple(with_loader_criteria(cls, cls.team_key == team, include_aliases=True) for cls in classes)
    _CRITERIA[team] = (classes, criteria)
    return criteria


def _team_classes() -> list[Any]:
    """Every mapped table class with a team (the criteria must name each: the mixin is not
    mapped); refreshed when a module defining one was imported since."""
    global _CLASSES
    found = _subclasses(TeamScoped)
    if len(found) != len(_CLASSES):
        _CLASSES = found
    return _CLASSES


def _subclasses(cls: type) -> list[Any]:
    out: list[Any] = []
    sub: type
    for sub in cls.__subclasses__():
        if getattr(sub, "__table__", None) is not None:
            out.append(sub)
        out.extend(_subclasses(sub))
    return out


_CLASSES: list[Any] = []
# team → (the class list it was built for, its criteria); bounded, as teams are many
_CRITERIA: dict[str, tuple[list[Any], tuple[Any, ...]]] = {}
_MOST_TEAMS = 4096


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    team = session.info.get(TEAM)
    if team is None:
        _unscoped(session)
        return
    for row in session.new:
        if isinstance(row, TeamScoped):
            if not row.team_key or row.team_key == _UNSET:
                row.team_key = team
            elif row.team_key != team:
                raise OtherTeamsRow(f"a {type(row).__name__} of team {row.team_key!r} in a session of {team!r}")
    for row in session.dirty:
        if isinstance(row, TeamScoped) and row.team_key != team:
            raise OtherTeamsRow(f"a {type(row).__name__} moved to team {row.team_key!r} in a session of {team!r}")


_UNSET = ""


def team_of_new_row(session: Any) -> str:
    """The team of a row inserted outside the unit of work (a Core INSERT, which
    ``_stamp_new_rows`` never sees), stamped as a flushed one would be: the session's team;
    the shell's for a session that declared nothing; a session across teams must name it."""
    team = team_of(session)
    if team is not None:
        return team
    if getattr(session, "info", {}).get(ALL_TEAMS):
        raise OtherTeamsRow("a new row without a team, in a session across teams")
    return LOCAL_TEAM


def _unscoped(session: Session) -> None:
    """A session across teams must name each new row's team; one that declared nothing
    (code not yet given its team) writes the shell's team, as before teams existed."""
    for row in session.new:
        if isinstance(row, TeamScoped) and row.team_key == _UNSET:
            if session.info.get(ALL_TEAMS):
                raise OtherTeamsRow(f"a new {type(row).__name__} without a team, in a session across teams")
            row.team_key = LOCAL_TEAM
