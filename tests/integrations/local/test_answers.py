"""The reads and writes the rule planner's everyday goals use, on the demo agency: invoice
filters (exclusions, thresholds, unpaid), deals, hours, logging time, finding one event and
moving it by a time of day."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import PermanentError
from bot.store.database import Database
from tests.integrations.local.conftest import Call, Clock
from tests.support.demo_teams import seed_every_team


@pytest.fixture
async def demo(database: Database, clock: Clock) -> date:
    today = clock.now.date()
    await seed_every_team(database, today)
    return today


async def test_unpaid_means_sent_or_overdue(call: Call, demo: date) -> None:
    overdue = await call("list_invoices", status="overdue")
    unpaid = await call("list_invoices", status="unpaid")
    sent = await call("list_invoices", status="sent")
    assert overdue["count"] == 3 and sent["count"] == 1
    assert {i["number"] for i in unpaid["invoices"]} == \
        {i["number"] for i in overdue["invoices"] + sent["invoices"]}


async def test_exclusions_leave_out_exactly_those_clients(call: Call, demo: date) -> None:
    every = await call("list_invoices", status="overdue")
    but = await call("list_invoices", status="overdue", exclude_clients=["Globex"])
    assert "Globex" in {i["client"] for i in every["invoices"]}
    assert {i["client"] for i in but["invoices"]} == {i["client"] for i in every["invoices"]} - {"Globex"}
    assert but["total_cents"] == every["total_cents"] - sum(
        i["amount_cents"] for i in every["invoices"] if i["client"] == "Globex")


async def test_a_misspelt_exclusion_is_an_error_not_a_silent_no_op(call: Call, demo: date) -> None:
    with pytest.raises(PermanentError, match="No client is called 'Glbx'"):
        await call("list_invoices", status="overdue", exclude_clients=["Glbx"])


async def test_thresholds_on_lateness_and_amount(call: Call, demo: date) -> None:
    every = (await call("list_invoices", status="overdue"))["invoices"]
    late = sorted(i["days_overdue"] for i in every)
    cut = late[0]
    later = await call("list_invoices", status="overdue", overdue_more_than_days=cut)
    assert [i for i in later["invoices"] if i["days_overdue"] <= cut] == []
    assert later["count"] == sum(d > cut for d in late)
    biggest = max(i["amount_cents"] for i in every)
    above = await call("list_invoices", status="overdue", amount_above_cents=biggest - 1)
    assert [i["amount_cents"] for i in above["invoices"]] == [biggest]


async def test_open_deals_and_stages(call: Call, demo: date) -> None:
    open_ = await call("list_deals", stage="open")
    assert {d["stage"] for d in open_["deals"]} <= {"lead", "qualified", "proposal", "negotiation"}
    assert open_["count"] == 4 and open_["total_cents"] == sum(d["amount_cents"] for d in open_["deals"])
    won = await call("list_deals", stage="won")
    assert [d["company"] for d in won["deals"]] == ["Initech"]
    big = await call("list_deals", stage="open", amount_above_cents=4_000_000)
    assert {d["company"] for d in big["deals"]} == {"Acme Corp", "Umbrella Health"}


async def test_logged_time_shows_in_the_report(call: Call, demo: date) -> None:
    period = {"period_start": demo.replace(day=1).isoformat(), "period_end": demo.isoformat()}
    before = await call("time_report", client="Globex", **period)
    logged = await call("log_time", client="Globex", minutes=90, day=demo.isoformat(),
                        description="design work")
    assert logged["hours"] == 1.5 and logged["client"] == "Globex"
    after = await call("time_report", client="Globex", **period)
    assert after["total_hours"] == pytest.approx(before["total_hours"] + 1.5)
    assert after["clients"][0]["unbilled_hours"] == pytest.approx(before["clients"][0]["unbilled_hours"] + 1.5)


async def test_time_cannot_be_logged_in_the_future(call: Call, demo: date) -> None:
    with pytest.raises(PermanentError, match="in the future"):
        await call("log_time", client="Globex", minutes=30, day=date(demo.year + 1, 1, 1).isoformat())


async def test_find_event_needs_exactly_one_match(call: Call, demo: date) -> None:
    found = await call("find_event", title="design review")
    assert found["event"]["title"] == "Design review"
    with pytest.raises(PermanentError, match="no “budget party”"):
        await call("find_event", title="budget party")
    # two different events fit "review" in the next fortnight: name them, pick none
    with pytest.raises(PermanentError, match="Several events fit"):
        await call("find_event", title="review")


async def test_moving_to_a_time_of_day_keeps_the_day_and_the_length(call: Call, demo: date) -> None:
    found = await call("find_event", title="design review")
    event = found["event"]
    moved = await call("move_event", event_id=found["id"], at="16:00")
    assert moved["event"]["start"][:10] == event["start"][:10]
    assert moved["event"]["start"][11:16] == "16:00" and moved["event"]["end"][11:16] == "17:30"
    assert moved["previous"] == {"start": event["start"], "end": event["end"]}
