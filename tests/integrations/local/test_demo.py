from __future__ import annotations

from datetime import date

import pytest

from bot.errors import PermanentError
from bot.registry.registry import discover
from bot.store.database import Database
from tests.integrations.local.conftest import Call, Clock
from tests.support.demo_teams import seed_every_team

TODAY = date(2026, 3, 4)  # a Wednesday; the clock fixture says the same day


async def test_demo_tells_a_current_story(database: Database, call: Call, clock: Clock) -> None:
    counts = await seed_every_team(database, TODAY)
    assert counts["clients"] == 5 and counts["invoices"] == 5 and counts["payments"] == 1
    assert counts["contacts"] >= 10 and counts["events"] >= 30

    overdue = await call("list_invoices", status="overdue")
    assert sorted(i["client"] for i in overdue["invoices"]) == ["Acme Corp", "Globex", "Initech"]
    assert all(i["days_overdue"] > 0 and i["period_start"] == "2026-01-01" for i in overdue["invoices"])
    assert [i["client"] for i in (await call("list_invoices", status="paid"))["invoices"]] == ["Umbrella Health"]
    assert [i["client"] for i in (await call("list_invoices", status="sent"))["invoices"]] == ["Stark Logistics"]

    # last month is all unbilled, for every client, and can be invoiced
    feb = await call("unbilled_time", period_start="2026-02-01", period_end="2026-02-28")
    assert feb["count"] == 5 and all(c["amount_cents"] > 0 for c in feb["clients"])
    made = await call("create_invoice", client_id=feb["clients"][0]["client_id"],
                      period_start="2026-02-01", period_end="2026-02-28")
    assert made["invoice"]["number"] == "INV-0006"

    team = await call("find_people", names=["Ana", "Dev", "maria"])
    assert team["emails"] == ["ana@demo-agency.example", "dev@demo-agency.example", "maria@acme.example"]
    busy = await call("list_events", start="2026-03-04T00:00:00Z", end="2026-03-05T00:00:00Z",
                      attendee="ana@demo-agency.example")
    assert busy["count"] >= 2
    slot = await call("find_free_slots", attendees=team["emails"], duration_minutes=60,
                      after="2026-03-04T09:00:00Z")
    assert slot["first"]["start"].startswith("2026-03-0")


async def test_demo_loads_only_once(database: Database) -> None:
    await seed_every_team(database, TODAY)
    with pytest.raises(PermanentError, match="demo data already loaded"):
        await seed_every_team(database, TODAY)


def test_registry_loads_the_local_integration() -> None:
    registry = discover(["local"])
    loaded = registry.get("local")
    assert loaded is not None and loaded.manifest.idempotent_writes
    assert set(loaded.actions.functions) == {a.name for a in loaded.manifest.actions}
