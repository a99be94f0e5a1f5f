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
"""

from __future__ import annotations

import re
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
    def __init__(self) -> None:
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
        else:
            mode = "team" if team_scope.team_of(state.session) else "none"
        state.update_execution_options(**{_CHECK: mode})

    def _cursor(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        sql = " ".join(statement.split())
        if sql.upper().startswith(("INSERT", "CREATE", "DROP", "ALTER", "PRAGMA", "SAVEPOINT", "RELEASE")):
            return
        names = self._referenced(sql)
        if not names:
            return
        self.checked += 1
        options = context.execution_options if context is not None else {}
        mode = options.get(_CHECK)
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
