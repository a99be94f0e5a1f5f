"""A repeated write (same idempotency key) returns the first result and changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import PermanentError
from integrations.local.client import LocalClient
from tests.integrations.local.conftest import Call

EVENT = {"title": "Kickoff", "start": "2026-03-05T10:00:00Z", "end": "2026-03-05T11:00:00Z",
         "attendees": ["ana@agency.example", "ben@agency.example"]}


async def test_same_key_twice_sends_invites_once(call: Call, local: LocalClient) -> None:
    first = await call("create_event", key="run-1:s2", **EVENT)
    again = await call("create_event", key="run-1:s2", **EVENT)
    assert again == first
    assert len(await local.outbox()) == 2
    listed = await call("list_events", start="2026-03-05T00:00:00Z", end="2026-03-06T00:00:00Z")
    assert listed["count"] == 1
    # a different step is a different write
    await call("create_event", key="run-1:s3", **EVENT)
    assert len(await local.outbox()) == 4


async def test_replayed_cancel_does_not_fail_or_mail_again(call: Call, local: LocalClient) -> None:
    made = await call("create_event", **EVENT)
    first = await call("cancel_event", key="run-2:s1", event_id=made["id"])
    # after a crash the executor resumes the step: same key, same answer, no "already cancelled"
    assert await call("cancel_event", key="run-2:s1", event_id=made["id"]) == first
    assert [m["kind"] for m in await local.outbox()].count("event_cancel") == 2


async def test_concurrent_repeats_write_once(call: Call, local: LocalClient) -> None:
    results = await asyncio.gather(*(call("create_event", key="run-3:s1", **EVENT) for _ in range(3)))
    assert all(r == results[0] for r in results)
    assert len(await local.outbox()) == 2


async def test_failed_write_records_nothing(call: Call, local: LocalClient) -> None:
    with pytest.raises(PermanentError):
        await call("cancel_event", key="run-4:s1", event_id=12345)
    made = await call("create_event", **EVENT)
    # the failure was not stored, so the resumed step can still succeed
    out = await call("cancel_event", key="run-4:s1", event_id=made["id"])
    assert out["event"]["status"] == "cancelled"


async def test_key_reused_for_another_action_is_refused(call: Call) -> None:
    await call("create_company", key="run-5:s1", name="Initech")
    with pytest.raises(PermanentError, match="already used for local.create_company"):
        await call("create_contact", key="run-5:s1", name="Zoe", email="zoe@initech.example")
