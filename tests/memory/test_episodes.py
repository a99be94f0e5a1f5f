"""Episodes: every finished run is summarised — goal, what was done, for whom, when, outcome —
so "when did we last meet Ana?" is answered from what Deputy did."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.app import Deputy
from bot.store import episodes
from bot.store.episodes import EpisodeRow
from tests.core.conftest import NOW
from tests.support.chat import Chat

TEAM = "shell:local"


async def _all(deputy: Deputy) -> list[EpisodeRow]:
    async with deputy.database.session(all_teams=True) as session:
        return list((await session.exec(select(EpisodeRow))).all())


async def test_a_finished_run_is_recorded_once_as_an_episode(chat: Chat, deputy: Deputy) -> None:
    await chat.say("add a note to Acme Corp: the renewal call went well")
    assert "Done" in await chat.say("approve", as_user="Ana Lima")
    (episode,) = await _all(deputy)
    assert (episode.goal, episode.outcome, episode.team_key) == (
        "add a note to Acme Corp: the renewal call went well", "succeeded", TEAM)
    assert episode.done == "Add a note to Acme Corp: the renewal call went well"
    assert episode.actions == ["local.search_crm", "local.add_note"]
    assert episode.requester_key == "shell:local:dev patel" and episode.finished_at == NOW
    async with deputy.database.session(all_teams=True) as session:  # recording the same run again adds nothing
        again = await episodes.record(session, EpisodeRow(run_id=episode.run_id, goal_id=1, team_key=TEAM,
                                                          requester_key="x", goal="x", done="x", outcome="x"))
    assert again.id == episode.id and len(await _all(deputy)) == 1


async def test_when_did_we_last_meet_someone(chat: Chat, deputy: Deputy) -> None:
    """The episodes of the last week name whom a booking was for."""
    await chat.say("book a meeting with Ana tomorrow at 10")
    await chat.say("approve", as_user="Ana Lima")
    async with deputy.database.session(all_teams=True) as session:
        last_week = await episodes.since(session, TEAM, NOW - timedelta(days=7))
        assert await episodes.since(session, "slack:T9", NOW - timedelta(days=7)) == []
    (episode,) = last_week
    assert any("ana" in who.lower() for who in episode.people), episode.people
    assert episode.finished_at == NOW and episode.outcome == "succeeded"



async def test_when_did_we_last_meet_is_answered_from_the_episodes(chat: Chat, deputy: Deputy) -> None:
    assert "no run here" in await chat.say("when did we last meet Ana?")
    await chat.say("book a meeting with Ana tomorrow at 10")
    await chat.say("approve", as_user="Ana Lima")
    answer = await chat.say("when did we last meet Ana?")
    assert "Last on 25 Nov 2026: Book a 30-minute meeting with Ana" in answer and "(run #1)" in answer
    assert "no run here" in await chat.say("when did we last meet Chloe?")
    assert "no run here" in await chat.say("when did we last invoice Ana?")
    # another channel's runs are not shown to someone else
    chat.session.channel = "elsewhere"
    assert "no run here" in await chat.say("when did we last meet Ana?", as_user="Ana Lima")


async def test_the_reused_run_is_named_on_every_drawing_of_the_card(chat: Chat, deputy: Deputy) -> None:
    """"do the same for Globex" names run #1 when proposed, and still after the approval's
    redraw and the result's (the run ids are kept with the plan version, not only in the
    first posting's note)."""
    await chat.say("invoice Acme Corp for October 2026")
    await chat.say("approve", as_user="Ana Lima")
    await chat.say("do the same for Globex")
    proposed = chat.card
    assert "Using: run #1 “Invoice Acme Corp for October 2026 and send the invoices” of 25 Nov" in proposed.note, proposed.note
    assert "Done" in await chat.say("approve", as_user="Ana Lima")
    finished = chat.card
    assert finished.goal_id == proposed.goal_id and finished is not proposed
    assert "Using: run #1 “Invoice Acme Corp for October 2026 and send the invoices” of 25 Nov" in finished.note, finished.note
