"""The checker that refuses a query on a team's table which forgets the team.

Installed by the ``team_checked`` fixture (tests/conftest.py), it watches every statement
sent to any engine while a test runs:

- a statement the code executes itself (through a session: ``session.exec``, ``session.get``)
  on a team-scoped table (one deriving from ``TeamScoped``) must come from a session of one
  team — whose SQL then carries ``<table>.team_key = ?`` for every such table it reads, the
  filter bot/store/team_scope.py adds — or from a session that declared ``all_teams=True``;
- a Core statement sent on the session's connection (a bulk INSERT … RETURNING, an
  executemany UPDATE) must name the team of each table it reads, or be an UPDATE/DELETE by
  primary key only (a row the team's session already loaded) or carry the execution option
  ``all_teams``.

The unit of work's own writes (INSERT of new rows, UPDATE/DELETE of loaded rows by primary
key) are the rows a team's session stamped (``before_flush``): not refused.

Every test runs under a lenient checker (``strict=False``, tests/conftest.py): a query from a
session that ``bot/`` or ``integrations/`` opened without declaring its team fails the test, and
so does a team session's ORM query without its team; a test's or tool's own reads (a session it
opened itself, raw SQL on a connection) are not looked at. ``team_checked`` is strict.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from bot.store import team_scope
from bot.store.types import TeamScoped

_CHECK = "team_check"  # execution option set on statements the code executed through a session
_REF = re.compile(r'\b(?:FROM|JOIN|UPDATE)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?(\w+)"?)?', re.IGNORECASE)
_KEYWORDS = {"where", "join", "on", "set", "left", "right", "inner", "outer", "full", "cross", "order", "group",
             "limit", "offset", "for", "returning", "union", "having", "as", "natural", "values", "using", "window"}
_PK_ONLY = re.compile(r"^\s*(?:UPDATE\s+\w+\s+SET\s+.*?|DELETE\s+FROM\s+\w+\s+)WHERE\s+\w+\.(?:id|plan_version_id|idempotency_key)"
                      r"\s*=\s*(?:\?|%s|\$\d+|:\w+)(?:::[\w ]+)?\s*$", re.IGNORECASE | re.DOTALL)


# where the product's code lives: a session opened from here must declare its team
_PRODUCT = tuple(str(Path(__file__).resolve().parents[2] / name) + "/" for name in ("bot", "integrations"))


def from_the_product(opened_at: str) -> bool:
    return opened_at.startswith(_PRODUCT)


def team_tables() -> set[str]:
    found: set[str] = set()
    stack: list[type] = [TeamScoped]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            table = getattr(sub, "__table__", None)
            if table is not None:
                found.add(table.name)
            stack.append(sub)
    return found


class TeamChecker:
    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        # its own execution option: a test's strict checker and the suite's lenient one both run
        self._key = f"{_CHECK}_{id(self)}"
        self.violations: list[str] = []
        self.checked = 0  # statements on team tables that were looked at

    def install(self) -> None:
        event.listen(Session, "do_orm_execute", self._orm)
        event.listen(Engine, "before_cursor_execute", self._cursor)

    def remove(self) -> None:
        event.remove(Session, "do_orm_execute", self._orm)
        event.remove(Engine, "before_cursor_execute", self._cursor)

    def _orm(self, state: ORMExecuteState) -> None:
        info = state.session.info
        if info.get(team_scope.ALL_TEAMS):
            mode = "all"
        elif team_scope.team_of(state.session):
            mode = "team"
        elif self.strict or from_the_product(info.get(team_scope.OPENED_AT, "")):
            mode = "none"
        else:
            mode = "all"  # a test reading rows through a session it opened itself
        state.update_execution_options(**{self._key: mode})

    def _cursor(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        options = context.execution_options if context is not None else {}
        mode = options.get(self._key)
        if not self.strict and mode in (None, "all"):
            return  # only the product's sessions are looked at
        sql = " ".join(statement.split())
        if sql.upper().startswith(("INSERT", "CREATE", "DROP", "ALTER", "PRAGMA", "SAVEPOINT", "RELEASE")):
            return
        names = self._referenced(sql)
        if not names:
            return
        self.checked += 1
        if mode == "all" or options.get("all_teams"):
            return
        if mode == "none":
            self.violations.append(f"no team declared for: {sql[:300]}")
            return
        if mode is None and _PK_ONLY.match(sql):
            return  # the unit of work writing a row it loaded, by primary key
        for table, name in names:
            if f"{name}.team_key" not in sql:
                self.violations.append(f"{table} read without its team: {sql[:300]}")

    def _referenced(self, sql: str) -> list[tuple[str, str]]:
        tables = team_tables()
        found = []
        for match in _REF.finditer(sql):
            table, alias = match.group(1), match.group(2)
            if table not in tables:
                continue
            name = alias if alias and alias.lower() not in _KEYWORDS else table
            found.append((table, name))
        return found
