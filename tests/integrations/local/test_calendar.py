from __future__ import annotations

import pytest

from bot.errors import PermanentError
from integrations.local.client import LocalClient
from tests.integrations.local.conftest import Call

ANA, BEN = "ana@agency.example", "ben@agency.example"


async def test_create_event_invites_every_attendee(call: Call, local: LocalClient) -> None:
    out = await call("create_event", title="Kickoff", start="2026-03-05T10:00:00+01:00",
                     end="2026-03-05T11:00:00+01:00", attendees=[ANA, BEN], location="Room 1")
    assert out["event"]["title"] == "Kickoff" and out["id"] == out["event"]["id"]
    assert out["event"]["start"] == "2026-03-05T09:00:00+00:00"
    mails = await local.outbox()
    assert [(m["kind"], m["to"]) for m in mails] == [("event_invite", ANA), ("event_invite", BEN)]
    assert all(m["event_id"] == out["id"] for m in mails)


async def test_event_must_end_after_it_starts(call: Call, local: LocalClient) -> None:
    with pytest.raises(PermanentError, match="end after it starts"):
        await call("create_event", title="Oops", start="2026-03-05T10:00:00+00:00",
                   end="2026-03-05T09:00:00+00:00", attendees=[ANA])
    assert await local.outbox() == []


async def test_list_events_in_window_and_by_attendee(call: Call) -> None:
    await call("create_event", title="A", start="2026-03-05T10:00:00Z", end="2026-03-05T11:00:00Z",
               attendees=[ANA])
    await call("create_event", title="B", start="2026-03-05T12:00:00Z", end="2026-03-05T13:00:00Z",
               attendees=[BEN])
    await call("create_event", title="Later", start="2026-03-09T12:00:00Z", end="2026-03-09T13:00:00Z",
               attendees=[ANA])
    both = await call("list_events", start="2026-03-05T00:00:00Z", end="2026-03-06T00:00:00Z")
    assert [e["title"] for e in both["events"]] == ["A", "B"] and both["count"] == 2
    bens = await call("list_events", start="2026-03-05T00:00:00Z", end="2026-03-06T00:00:00Z",
                      attendee="BEN@agency.example")
    assert [e["title"] for e in bens["events"]] == ["B"]
    # shown in the caller's zone
    berlin = await call("list_events", start="2026-03-05T00:00:00Z", end="2026-03-06T00:00:00Z",
                        tz="Europe/Berlin")
    assert berlin["events"][0]["start"] == "2026-03-05T11:00:00+01:00"


async def test_move_event_reports_previous_times_and_notifies(call: Call, local: LocalClient) -> None:
    made = await call("create_event", title="Sync", start="2026-03-05T10:00:00Z",
                      end="2026-03-05T10:30:00Z", attendees=[ANA])
    moved = await call("move_event", event_id=made["id"], start="2026-03-06T14:00:00Z",
                       end="2026-03-06T14:30:00Z")
    assert moved["previous"] == {"start": "2026-03-05T10:00:00+00:00", "end": "2026-03-05T10:30:00+00:00"}
    assert moved["event"]["start"] == "2026-03-06T14:00:00+00:00"
    assert [m["kind"] for m in await local.outbox()] == ["event_invite", "event_update"]
    with pytest.raises(PermanentError, match="no event with id 999"):
        await call("move_event", event_id=999, start="2026-03-06T14:00:00Z", end="2026-03-06T14:30:00Z")


async def test_cancel_event_once(call: Call, local: LocalClient) -> None:
    made = await call("create_event", title="Sync", start="2026-03-05T10:00:00Z",
                      end="2026-03-05T10:30:00Z", attendees=[ANA, BEN])
    out = await call("cancel_event", event_id=made["id"])
    assert out["event"]["status"] == "cancelled"
    with pytest.raises(PermanentError, match="already cancelled"):
        await call("cancel_event", event_id=made["id"])
    kinds = [m["kind"] for m in await local.outbox()]
    assert kinds.count("event_cancel") == 2
    listed = await call("list_events", start="2026-03-05T00:00:00Z", end="2026-03-06T00:00:00Z")
    assert listed["count"] == 0


async def test_free_slots_skip_busy_time_of_any_attendee(call: Call) -> None:
    # Ana is busy 9-10, Ben 10:00-11:15; the first common hour starts at 11:15
    await call("create_event", title="Ana busy", start="2026-03-05T09:00:00Z",
               end="2026-03-05T10:00:00Z", attendees=[ANA])
    await call("create_event", title="Ben busy", start="2026-03-05T10:00:00Z",
               end="2026-03-05T11:15:00Z", attendees=[BEN, "someone@else.example"])
    await call("create_event", title="Not them", start="2026-03-05T11:00:00Z",
               end="2026-03-05T17:00:00Z", attendees=["carol@agency.example"])
    out = await call("find_free_slots", attendees=[ANA, BEN], duration_minutes=60,
                     after="2026-03-05T08:00:00Z", count=2)
    assert out["first"] == {"start": "2026-03-05T11:15:00+00:00", "end": "2026-03-05T12:15:00+00:00"}
    assert out["slots"][1]["start"] == "2026-03-05T12:15:00+00:00"


async def test_cancelled_events_do_not_block(call: Call) -> None:
    made = await call("create_event", title="Gone", start="2026-03-05T09:00:00Z",
                      end="2026-03-05T17:00:00Z", attendees=[ANA])
    await call("cancel_event", event_id=made["id"])
    out = await call("find_free_slots", attendees=[ANA], duration_minutes=30,
                     after="2026-03-05T09:00:00Z", count=1)
    assert out["first"]["start"] == "2026-03-05T09:00:00+00:00"


async def test_free_slots_jump_the_weekend_in_the_requested_zone(call: Call) -> None:
    # Friday 6 March is full for Ana; Saturday and Sunday are not working days
    await call("create_event", title="Offsite", start="2026-03-06T08:00:00Z",
               end="2026-03-06T16:00:00Z", attendees=[ANA])
    out = await call("find_free_slots", attendees=[ANA], duration_minutes=45,
                     after="2026-03-06T09:07:00+01:00", timezone="Europe/Berlin")
    assert out["first"] == {"start": "2026-03-09T09:00:00+01:00", "end": "2026-03-09T09:45:00+01:00"}
    assert len(out["slots"]) == 3


async def test_free_slots_round_up_to_the_quarter_hour(call: Call) -> None:
    out = await call("find_free_slots", attendees=[ANA], duration_minutes=30,
                     after="2026-03-05T13:07:00Z", count=1)
    assert out["first"]["start"] == "2026-03-05T13:15:00+00:00"


async def test_no_free_slot_is_a_clear_error(call: Call) -> None:
    await call("create_event", title="Busy", start="2026-03-05T09:00:00Z",
               end="2026-03-05T17:00:00Z", attendees=[ANA])
    with pytest.raises(PermanentError, match="No 60-minute slot"):
        await call("find_free_slots", attendees=[ANA], duration_minutes=60,
                   after="2026-03-05T09:00:00Z", before="2026-03-05T18:00:00Z")
    with pytest.raises(PermanentError, match="Unknown time zone"):
        await call("find_free_slots", attendees=[ANA], duration_minutes=60,
                   after="2026-03-05T09:00:00Z", timezone="Mars/Olympus")
