"""Interrupted writes to the built-in `local` integration (idempotent: a ledger of keys in the
same transaction as the write). The database commits the write and then stalls past the
executor's step timeout (stall), or loses its connection as the commit's answer comes back
(drop), so the call is cut off after it took effect; the retry, with the same key, is
answered from the ledger. The database afterwards is exactly what one
uninterrupted call leaves: every local table, row for row."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DatabaseUnavailable
from bot.registry import IntegrationEnv, Registry, discover
from bot.settings import Settings
from bot.store.database import Database
from integrations.local.tables import LocalWrite
from tests.core.conftest import NOW, clock
from tests.interrupted.contract import (
    MODES,
    assert_exactly_once,
    call,
    context,
    contract_settings,
    write_actions,
)
from tests.interrupted.proxy import Mode
from tests.support.demo_teams import seed_every_team

EVENT = {"title": "Contract review", "start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z",
         "attendees": ["ana@demo-agency.example", "maria@acme.example"]}
OCTOBER = {"client_id": 1, "period_start": "2026-10-01", "period_end": "2026-10-31"}

# ids from the demo data (integrations/local/demo.py), as of NOW
CASES: dict[str, dict[str, Any]] = {
    "create_event": EVENT,
    "move_event": {"event_id": 2, "start": "2026-11-26T10:00:00Z", "end": "2026-11-26T11:00:00Z"},
    "cancel_event": {"event_id": 2},
    "create_contact": {"name": "Zoe Park", "email": "zoe@acme.example"},
    "update_contact": {"contact_id": 10, "fields": {"title": "VP Digital"}},
    "create_company": {"name": "Hooli", "domain": "hooli.example"},
    "update_deal": {"deal_id": 1, "stage": "won"},
    "add_note": {"subject": "company", "subject_id": 2, "body": "Renewal due in May"},
    "log_time": {"client": "Acme Corp", "minutes": 90, "day": "2026-11-24"},
    "create_invoice": OCTOBER,
    "send_invoice": {"invoice_id": -1},  # the draft made in setup
    "send_reminder": {"invoice_id": 1},
    "record_payment": {"invoice_id": 1, "amount_cents": 1020000},
    "void_invoice": {"invoice_id": 1},
}


class StallingDatabase:
    """The real database, except that once armed, the first session that commits a write
    (its idempotency key stored) then hangs before returning (stall), or fails as the
    database does when the connection drops (drop): the write has happened, its answer never
    comes."""

    def __init__(self, inner: Database, mode: Mode = "stall") -> None:
        self.inner = inner
        self.mode = mode
        self.armed = False
        self.interrupted = 0

    @asynccontextmanager
    async def session(self, **scope: Any) -> AsyncIterator[AsyncSession]:
        before = await self._keys() if self.armed else 0
        async with self.inner.session(**scope) as session:
            yield session
        if self.armed and await self._keys() > before:
            self.armed = False
            self.interrupted += 1
            if self.mode == "drop":
                raise DatabaseUnavailable("The database cannot be reached right now.")
            await asyncio.sleep(3600)  # cut off by the executor's step timeout

    async def _keys(self) -> int:
        async with self.inner.session(all_teams=True) as session:
            return int((await session.exec(select(func.count()).select_from(LocalWrite))).one()[0])


async def _state(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every local table, in key order."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    async with database.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name.startswith("local_"):
                order = ", ".join(c.name for c in table.primary_key.columns)
                rows = await conn.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
                state[table.name] = [tuple(r) for r in rows.all()]
    return state


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("local-contract") / "seeded.db"
    shutil.copy(sqlite_template, path)

    async def fill() -> None:
        database = Database(f"sqlite:///{path}")
        await seed_every_team(database, NOW.date(), "Europe/London")
        await database.dispose()

    asyncio.run(fill())
    return path


async def _run(seeded: Path, folder: Path, action: str, interrupt: Mode | None,
               ) -> tuple[Any, int, dict[str, Any]]:
    path = folder / f"{interrupt or 'clean'}.db"
    shutil.copy(seeded, path)
    database = Database(f"sqlite:///{path}")
    stalling = StallingDatabase(database, interrupt or "stall")
    # a stalled call waits out the whole step timeout; 0.5 s did not always cover the write
    # itself on a busy machine (it timed out before committing, and nothing was interrupted)
    settings: Settings = contract_settings(step_timeout_seconds=1.0)
    registry: Registry = discover(["local"])
    registry.start(IntegrationEnv(settings=settings, database=stalling, clock=clock))
    args = dict(CASES[action])
    try:
        if action == "send_invoice":
            made = await call(registry, settings, "local.create_invoice", OCTOBER,
                              context(key="deputy-run7-s1"))
            assert made.result is not None, made.unknown
            args["invoice_id"] = made.result["invoice"]["id"]
        stalling.armed = interrupt is not None
        outcome = await call(registry, settings, f"local.{action}", args, context(key="deputy-run7-s2"))
        return outcome, stalling.interrupted, await _state(database)
    finally:
        await registry.aclose()
        await database.dispose()


def test_every_write_has_a_case() -> None:
    assert write_actions(discover(["local"]), "local") == set(CASES)


@pytest.fixture(scope="module")
def clean_runs() -> dict[str, tuple[Any, int, dict[str, Any]]]:
    """One uninterrupted call per action, shared by the stall and drop cases."""
    return {}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("action", sorted(CASES))
async def test_an_interrupted_write_is_retried_and_leaves_one_effect(
        seeded: Path, tmp_path: Path, action: str, mode: Mode,
        clean_runs: dict[str, tuple[Any, int, dict[str, Any]]]) -> None:
    if action not in clean_runs:
        clean_runs[action] = await _run(seeded, tmp_path, action, interrupt=None)
    clean, _, expected = clean_runs[action]
    assert clean.result is not None, clean.unknown
    outcome, interrupted, state = await _run(seeded, tmp_path, action, interrupt=mode)
    assert interrupted == 1, "the write never took effect"
    changed = [t for t in state if state[t] != expected[t]]
    assert_exactly_once(outcome, 1 if not changed else 2, f"local.{action}")
    assert changed == [], f"tables that differ from one clean call: {changed}"
    assert outcome.result == clean.result
