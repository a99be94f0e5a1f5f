"""A transaction on a Core connection, without an ORM session: for the statements every step
of a run costs (bot/execution/steps.py), which are all plain ones (``execute_plain``: the
step row, the lease, the audit record). An ORM session, its transaction and its identity
map cost ~0.37 M instructions a transaction more than a Core connection's for the same two
statements (callgrind, PostgreSQL), about a tenth of a read step's.

It holds what those statements read from a session: ``info`` (the team, the audit chain's
keys, the chain's head and lock of this transaction), ``bind`` (the engine: its dialect)
and ``connection()``. Nothing in it goes through the ORM: a query that needs the team's
criteria or the unit of work takes a session (``Database.session``) instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class PlainTx:
    def __init__(self, connection: AsyncConnection, bind: AsyncEngine, info: dict[str, Any]) -> None:
        self._connection = connection
        self.bind = bind
        self.info = info

    async def connection(self) -> AsyncConnection:
        return self._connection
