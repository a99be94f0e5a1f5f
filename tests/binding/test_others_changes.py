"""A plan runs with the requester's accounts, so the requester decides what runs: a version
changed by someone else (modify, the Modify form, an accepted thread suggestion) needs the
requester's own approval too, whatever the policy; another person's thread reply is only a
suggestion until the requester or an approver accepts it; the card says who changed what."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from bot.app import Deputy
from bot.chat.events import ThreadReply
from bot.dispatch import dispatch
from bot.store.database import Database
from bot.store.tables import ApprovalRow, PlanVersionRow, RunRow, ThreadMessageRow
from tests.support.chat import Chat


async def rows(database: Database, table: type) -> list[Any]:
    async with database.session(all_teams=True) as session:
        return list(await session.exec(select(table)))


async def reminders(deputy: Deputy) -> list[dict[str, Any]]:
    local = deputy.registry.get("local").client  # type: ignore[union-attr]
    return [m for m in await local.outbox() if m["kind"] == "reminder"]


async def test_another_users_modify_and_approve_does_not_run_without_the_requester(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    await chat.say("chase overdue invoices")  # asked by Dev; the default policy: one approval, anyone
    out = await chat.say("as Ben: modify 2 message=Pay to my account instead")
    assert "Plan 1 v2" in out
    assert "Changed from version 1 by Ben: step 2 message" in out
    assert "Changed by Ben, not by Dev Patel who asked" in out and "Dev Patel must approve" in out
    out = await chat.say("as Ben: approve")
    assert "Run" not in out  # Ben's approval is recorded, but it is not Dev's
    assert await rows(database, RunRow) == [] and await reminders(deputy) == []
    [v1, v2] = sorted(await rows(database, PlanVersionRow), key=lambda v: v.version)
    assert (v1.requester_consent, v2.requester_consent) == (False, True)
    assert v2.status == "proposed" and len(await rows(database, ApprovalRow)) == 1

    out = await chat.say("approve")  # Dev, who asked, approves what Ben changed
    assert "✓ Run 1: Done" in out
    sent = await reminders(deputy)
    assert len(sent) == 3 and all("Pay to my account instead" in m["body"] for m in sent)


async def test_the_requesters_own_modify_needs_no_extra_approval(chat: Chat) -> None:
    await chat.say("chase overdue invoices")
    out = await chat.say("modify 2 message=Friendly nudge")
    assert "Changed by" not in out
    assert "✓ Run 1: Done" in await chat.say("approve")


async def test_a_thread_reply_by_another_user_is_a_suggestion_until_accepted(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    out = await chat.say("reply make it Thursday instead", as_user="Ben")
    assert "Plan 1 v2" not in out  # no re-plan
    assert "Suggestion from Ben: “make it Thursday instead”" in out
    assert "your suggestion is shown on the plan" in out
    assert [v.version for v in await rows(database, PlanVersionRow)] == [1]
    [message] = await rows(database, ThreadMessageRow)
    assert (message.status, message.author_key) == ("suggested", "shell:local:ben")

    # Ben may approve under the default policy, but not accept his own suggestion for Dev
    out = await chat.say("as Ben: accept")
    assert "You made this suggestion" in out and "Plan 1 v2" not in out
    assert [m.status for m in await rows(database, ThreadMessageRow)] == ["suggested"]

    out = await chat.say("accept")  # Dev accepts
    assert "Plan 1 v2" in out and "Thursday" in out
    assert "Changed after Ben's suggestion “make it Thursday instead” (accepted by Dev Patel)" in out
    assert "Changed by Ben, not by Dev Patel who asked" in out
    assert "There is no suggestion to accept" in await chat.say("accept")  # the new card has none
    assert [m.status for m in await rows(database, ThreadMessageRow)] == ["accepted"]


async def test_a_replayed_thread_reply_makes_no_new_version(chat: Chat, deputy: Deputy,
                                                           database: Database) -> None:
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    where = chat.port.current_thread
    assert where is not None
    reply = ThreadReply(actor=chat.user, where=where, text="make it Thursday instead", event_id="slack:Ev0REPLY")
    await dispatch(deputy, reply)
    assert [v.version for v in await rows(database, PlanVersionRow)] == [1, 2]
    # the same delivery again (a platform replays it after a restart): nothing new
    await dispatch(deputy, reply)
    assert [v.version for v in await rows(database, PlanVersionRow)] == [1, 2]
    assert len(await rows(database, ThreadMessageRow)) == 1


async def test_a_suggestion_accepted_in_another_process_meanwhile_is_not_planned_again(
        chat: Chat, deputy: Deputy, database: Database) -> None:
    """Ana's accept (another process, or another connection of the web process) is written
    but not committed while Dev accepts the same suggestion: on SQLite Dev's accept read it
    as still suggested, and must then find it taken up rather than re-plan a second time."""
    await chat.say("book a meeting with Ana and Ben next Tuesday at 10am")
    await chat.say("reply make it Thursday instead", as_user="Ben")
    other = Database(database.url)
    try:
        async with other.session(all_teams=True) as session:
            await session.exec(update(ThreadMessageRow).values(status="accepted"))  # type: ignore[call-overload]
            accepting = asyncio.create_task(chat.say("accept"))
            await asyncio.sleep(0.5)  # Dev's accept has read the message (on SQLite, waits to write)
        out = await accepting
    finally:
        await other.dispose()
    assert "already taken up" in out and "Plan 1 v2" not in out
    assert [v.version for v in await rows(database, PlanVersionRow)] == [1]
