"""The calendar actions against a real Radicale CalDAV server."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from caldav.davclient import DAVClient

from bot.errors import PermanentError
from bot.registry import IntegrationEnv, discover
from bot.settings import load_settings
from integrations.calendar import actions as calendar_actions
from integrations.calendar.actions import (
    cancel_event,
    create_event,
    find_free_slots,
    free_busy,
    list_calendars,
    list_events,
    move_event,
)
from integrations.calendar.client import CalDavClient
from tests.integrations.calendar.conftest import CalendarAccount


def test_manifest_and_actions_agree() -> None:
    loaded = discover(["calendar"]).get("calendar")
    assert loaded is not None
    assert loaded.manifest.idempotent_writes is True
    assert {c.name for c in loaded.manifest.credentials} == {"url", "username", "password"}
    assert [c.name for c in loaded.manifest.credentials if c.secret] == ["password"]
    assert loaded.actions is calendar_actions.actions
    client = loaded.actions.client_factory(IntegrationEnv(settings=load_settings(step_timeout_seconds=9), database=None))
    assert isinstance(client, CalDavClient) and client.timeout_seconds == 3


async def test_lists_the_users_calendars(client: CalDavClient, account: CalendarAccount) -> None:
    result = await list_calendars(client, account.context())
    assert sorted(c["name"] for c in result["calendars"]) == ["Home", "Work"]


async def test_created_event_is_listed_with_its_attendees(
    client: CalDavClient, account: CalendarAccount
) -> None:
    ctx = account.context()
    created = await create_event(
        client, ctx, title="Kick-off", start="2026-03-02T10:00", end="2026-03-02T11:00",
        attendees=["bob@example.com", "carol@example.com"], location="Room 1",
    )  # fmt: skip
    assert created["created"] is True
    listed = await list_events(client, ctx, start="2026-03-02T00:00", end="2026-03-03T00:00")
    assert listed["count"] == 1
    event = listed["events"][0]
    assert event["id"] == created["id"]
    assert event["title"] == "Kick-off"
    assert event["start"] == "2026-03-02T10:00:00+00:00"
    assert event["attendees"] == ["bob@example.com", "carol@example.com"]
    assert event["location"] == "Room 1"
    assert event["calendar"] == "Work"
    # other CalDAV clients see real ATTENDEE properties
    (raw,) = account.raw_events()
    stored = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert [str(a) for a in stored.get("attendee", [])] == ["mailto:bob@example.com", "mailto:carol@example.com"]


async def test_event_can_go_to_a_named_calendar(client: CalDavClient, account: CalendarAccount) -> None:
    ctx = account.context()
    await create_event(
        client, ctx, title="Dentist", start="2026-03-02T08:00", end="2026-03-02T08:30",
        attendees=[], calendar="home",
    )  # fmt: skip
    home = await list_events(client, ctx, start="2026-03-02T00:00", end="2026-03-03T00:00", calendar="Home")
    work = await list_events(client, ctx, start="2026-03-02T00:00", end="2026-03-03T00:00", calendar="Work")
    assert [e["title"] for e in home["events"]] == ["Dentist"]
    assert work["events"] == []


async def test_a_retried_create_finds_the_first_event(client: CalDavClient, account: CalendarAccount) -> None:
    args = {"title": "Review", "start": "2026-03-03T14:00", "end": "2026-03-03T15:00", "attendees": []}
    first = await create_event(client, account.context(key="run-7:s2"), **args)
    again = await create_event(client, account.context(key="run-7:s2"), **args)
    assert again["created"] is False
    assert again["id"] == first["id"]
    assert len(account.raw_events()) == 1
    other_step = await create_event(client, account.context(key="run-7:s3"), **args)
    assert other_step["id"] != first["id"]
    assert len(account.raw_events()) == 2


@pytest.mark.parametrize(
    ("new_york", "london"),
    [
        # both on standard time: five hours apart
        ("2026-01-12T09:00", "2026-01-12T14:00:00+00:00"),
        # the US moved its clocks on 8 March, the UK only on 29 March: four hours apart
        ("2026-03-09T09:00", "2026-03-09T13:00:00+00:00"),
        # both on summer time: five hours apart again
        ("2026-04-06T09:00", "2026-04-06T14:00:00+01:00"),
    ],
)
async def test_time_zones_and_daylight_saving(
    client: CalDavClient, account: CalendarAccount, new_york: str, london: str
) -> None:
    ny_end = (datetime.fromisoformat(new_york) + timedelta(hours=1)).isoformat()
    await create_event(
        client, account.context(timezone="America/New_York"), title="Call", start=new_york,
        end=ny_end, attendees=[], timezone="America/New_York",
    )  # fmt: skip
    day = new_york[:10]
    listed = await list_events(
        client, account.context(timezone="Europe/London"), start=f"{day}T00:00Z", end=f"{day}T23:59Z"
    )
    assert listed["timezone"] == "Europe/London"
    assert [e["start"] for e in listed["events"]] == [london]
    # the event keeps the meeting's zone, so calendar apps move it with New York's DST
    (raw,) = account.raw_events()
    assert "DTSTART;TZID=America/New_York:" in raw
    assert "BEGIN:VTIMEZONE" in raw


async def test_recurring_events_are_expanded(client: CalDavClient, account: CalendarAccount) -> None:
    with DAVClient(url=account.url, username=account.username, password=account.password) as dav:
        work = dav.principal().get_calendars()[0]
        work.add_event(
            dtstart=datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/London")),
            dtend=datetime(2026, 3, 2, 9, 45, tzinfo=ZoneInfo("Europe/London")),
            summary="Stand-up", rrule={"FREQ": "WEEKLY", "COUNT": 4},
        )  # fmt: skip
    listed = await list_events(client, account.context(), start="2026-03-01T00:00", end="2026-03-20T00:00")
    assert [e["start"] for e in listed["events"]] == [
        "2026-03-02T09:30:00+00:00",
        "2026-03-09T09:30:00+00:00",
        "2026-03-16T09:30:00+00:00",
    ]


async def test_free_busy_merges_calendars_and_follows_attendees(
    client: CalDavClient, account: CalendarAccount
) -> None:
    ctx = account.context()
    await create_event(client, account.context(key="a"), title="A", start="2026-03-04T09:00",
                       end="2026-03-04T10:00", attendees=["bob@example.com"])  # fmt: skip
    await create_event(client, account.context(key="b"), title="B", start="2026-03-04T09:30",
                       end="2026-03-04T11:00", attendees=[], calendar="Home")  # fmt: skip
    await create_event(client, account.context(key="c"), title="C", start="2026-03-04T15:00",
                       end="2026-03-04T16:00", attendees=["Bob@example.com"])  # fmt: skip
    result = await free_busy(
        client, ctx, start="2026-03-04T00:00", end="2026-03-05T00:00", attendees=["bob@example.com"]
    )
    assert result["busy"] == [
        {"start": "2026-03-04T09:00:00+00:00", "end": "2026-03-04T11:00:00+00:00"},
        {"start": "2026-03-04T15:00:00+00:00", "end": "2026-03-04T16:00:00+00:00"},
    ]
    assert result["attendees"]["bob@example.com"] == [
        {"start": "2026-03-04T09:00:00+00:00", "end": "2026-03-04T10:00:00+00:00"},
        {"start": "2026-03-04T15:00:00+00:00", "end": "2026-03-04T16:00:00+00:00"},
    ]


async def test_free_slots_avoid_busy_time_in_the_callers_zone(
    client: CalDavClient, account: CalendarAccount
) -> None:
    # Monday 2 March 2026, 09:00-10:30 in New York is taken
    await create_event(client, account.context(), title="Busy", start="2026-03-02T09:00-05:00",
                       end="2026-03-02T10:30-05:00", attendees=[])  # fmt: skip
    result = await find_free_slots(
        client, account.context(timezone="America/New_York"), attendees=["bob@example.com"],
        duration_minutes=60, after="2026-03-02T08:00", count=2,
    )  # fmt: skip
    assert result["timezone"] == "America/New_York"
    assert result["first"] == {"start": "2026-03-02T10:30:00-05:00", "end": "2026-03-02T11:30:00-05:00"}
    assert result["slots"][1] == {"start": "2026-03-02T11:30:00-05:00", "end": "2026-03-02T12:30:00-05:00"}


async def test_move_and_move_back(client: CalDavClient, account: CalendarAccount) -> None:
    ctx = account.context(timezone="America/New_York")
    created = await create_event(client, ctx, title="1:1", start="2026-03-05T10:00",
                                 end="2026-03-05T10:30", attendees=[])  # fmt: skip
    moved = await move_event(client, account.context(), event_id=created["id"],
                             start="2026-03-06T16:00Z", end="2026-03-06T16:30Z")  # fmt: skip
    assert moved["previous"] == {"start": "2026-03-05T15:00:00+00:00", "end": "2026-03-05T15:30:00+00:00"}
    listed = await list_events(client, ctx, start="2026-03-05T00:00", end="2026-03-07T00:00")
    # read in New York: 16:00 UTC is 11:00 there; the event kept its own zone
    assert [e["start"] for e in listed["events"]] == ["2026-03-06T11:00:00-05:00"]
    assert "DTSTART;TZID=America/New_York:20260306T110000" in account.raw_events()[0]
    await move_event(client, account.context(), event_id=created["id"], **moved["previous"])
    listed = await list_events(client, ctx, start="2026-03-05T00:00", end="2026-03-07T00:00")
    assert [e["start"] for e in listed["events"]] == ["2026-03-05T10:00:00-05:00"]


async def test_cancel_hides_the_event_and_repeats_harmlessly(
    client: CalDavClient, account: CalendarAccount
) -> None:
    ctx = account.context()
    created = await create_event(client, ctx, title="Lunch", start="2026-03-05T12:00",
                                 end="2026-03-05T13:00", attendees=["bob@example.com"])  # fmt: skip
    first = await cancel_event(client, ctx, event_id=created["id"])
    assert first["already_cancelled"] is False
    window = {"start": "2026-03-05T00:00", "end": "2026-03-06T00:00"}
    assert (await list_events(client, ctx, **window))["events"] == []
    shown = await list_events(client, ctx, include_cancelled=True, **window)
    assert [e["status"] for e in shown["events"]] == ["cancelled"]
    assert (await free_busy(client, ctx, **window))["busy"] == []
    again = await cancel_event(client, ctx, event_id=created["id"])
    assert again["already_cancelled"] is True


async def test_unknown_event_is_a_clear_failure(client: CalDavClient, account: CalendarAccount) -> None:
    with pytest.raises(PermanentError, match="no event with id 'nope'"):
        await move_event(client, account.context(), event_id="nope",
                         start="2026-03-06T16:00Z", end="2026-03-06T16:30Z")  # fmt: skip


async def test_unknown_calendar_names_the_ones_there_are(
    client: CalDavClient, account: CalendarAccount
) -> None:
    with pytest.raises(PermanentError, match=r"no calendar named 'Gym' \(you have: Work, Home\)|Home, Work"):
        await create_event(client, account.context(), title="x", start="2026-03-06T16:00Z",
                           end="2026-03-06T16:30Z", attendees=[], calendar="Gym")  # fmt: skip


@pytest.mark.parametrize("bad", ["eve@example.com\r\nATTENDEE:mailto:mallory@example.com",
                                 "eve@example.com, mallory@example.com"])
async def test_an_attendee_that_is_not_one_address_creates_nothing(
    client: CalDavClient, account: CalendarAccount, bad: str
) -> None:
    from bot.errors import InvalidArguments

    with pytest.raises(InvalidArguments, match=r"attendees\[1\]"):
        await create_event(client, account.context(), title="Sync", start="2026-03-04T10:00",
                           end="2026-03-04T11:00", attendees=["bob@example.com", bad])
    assert account.raw_events() == []
