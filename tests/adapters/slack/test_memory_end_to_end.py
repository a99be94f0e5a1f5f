"""Team memory on Slack, end to end: signed requests as Slack sends them, the real core and
the fake Web API. `remember`, `memories`, `what do you remember about X`, `forget N` as slash
commands (answered ephemerally); Deputy's offer with its [Remember] [No] buttons, bound to
the person who taught it; a later card's "Using: …" line with a [Forget #N] button, kept on
every redraw of the card."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.app import Deputy
from bot.store.memories import MemoryRow
from bot.store.memory_proposals import MemoryProposalRow
from tests.adapters.slack import wire
from tests.adapters.slack.live import (
    Card,
    Live,
    blocks_of,
    buttons_of,
    eventually,
    live_slack,
    text_of,
)
from tests.adapters.slack.test_end_to_end import app as app  # noqa: F401  (fixture)
from tests.adapters.slack.test_end_to_end import settings as settings  # noqa: F401  (fixture)
from tests.fakes.slack_api import Call, FakeSlackApi

TEAM_GOAL = "book a meeting with the team tomorrow at 10"
USING = "Using: the team is Ana, Ben and Chloe — from anna.b, 25 Nov (#1"


@pytest.fixture
async def live(app: Deputy, slack_api: FakeSlackApi) -> AsyncIterator[Live]:
    async with live_slack(app, slack_api) as running:
        yield running


def _messages(live: Live, action: str) -> list[Card]:
    """Messages Deputy posted whose buttons include ``action`` (plan cards or offers)."""
    found = []
    for call, ts in live._posts():
        buttons, values = buttons_of(call.params.get("blocks") or [])
        if action in buttons:
            found.append(Card(call, ts, buttons, values))
    return found


async def _said(live: Live, user: str, before: int) -> str:
    """The ephemeral messages to ``user`` after the first ``before`` ones."""
    def mine() -> list[Call]:
        return [c for c in live.api.of("chat.postEphemeral") if c.params.get("user") == user]
    await eventually(lambda: len(mine()) > before, 10, f"an ephemeral message to {user}")
    await live.settle()
    return "\n".join(str(c.params["text"]) for c in mine()[before:])


def _ephemerals(live: Live, user: str) -> int:
    return len([c for c in live.api.of("chat.postEphemeral") if c.params.get("user") == user])


async def _command(live: Live, text: str, user: str = "U0ANNA") -> str:
    before = _ephemerals(live, user)
    await live.slash(text, user=user)
    return await _said(live, user, before)


async def _memories(app: Deputy) -> list[MemoryRow]:
    async with app.database.session(all_teams=True) as session:
        return list((await session.exec(select(MemoryRow))).all())


async def _taught_the_team(live: Live) -> Card:
    """Anna asks for a meeting with the team; Deputy asks who that is; she answers in the
    thread. The offer Deputy posts in the thread."""
    await live.slash(TEAM_GOAL)
    await eventually(lambda: any("Who is on the team?" in str(c.params.get("text"))
                                 for c in live.api.of("chat.postMessage")), 10, "the question")
    await live.settle()
    [root] = [c for c in live.api.of("chat.postMessage") if not c.params.get("thread_ts")]
    thread = "1760000001.000001"  # the root message's ts: the goal's thread
    assert root.params["text"].endswith(TEAM_GOAL)
    reply = wire.event_callback(wire.message("Ana, Ben and Chloe", thread_ts=thread, ts="1760000500.000500"),
                                event_id="Ev0ANSWER1")
    assert await live.send(reply, wire.JSON) == 200
    await eventually(lambda: bool(_messages(live, "memory-remember")), 10, "the offer")
    await live.settle()
    [offer] = _messages(live, "memory-remember")
    return offer


async def test_remember_memories_topic_and_forget_as_slash_commands(live: Live, app: Deputy) -> None:
    kept = await _command(live, "remember that our standups are 15 minutes")
    assert "I'll remember for this channel: “our standups are 15 minutes” (#1)" in kept
    [row] = await _memories(app)
    assert (row.taught_by, row.source_channel, row.team_key) == ("slack:T0001:U0ANNA", wire.CHANNEL, "slack:T0001")
    listed = await _command(live, "memories")
    assert "#1 our standups are 15 minutes — from anna.b, 25 Nov (channel)" in listed
    assert "our standups are 15 minutes" in await _command(live, "what do you remember about standups?")
    assert "nothing about Acme" in await _command(live, "what do you remember about Acme?")
    refused = await _command(live, "forget 1", user="U0BOSS")
    assert "taught by anna.b; only they" in refused
    assert "Forgotten: #1" in await _command(live, "forget 1")
    assert "nothing here yet" in await _command(live, "memories")


async def test_the_offer_buttons_are_the_teachers_alone(live: Live, app: Deputy) -> None:
    offer = await _taught_the_team(live)
    shown = text_of(offer.blocks)
    assert "remember that the team is Ana, Ben and Chloe?" in shown
    assert [b["text"]["text"] for b in blocks_of(offer.call)[-1]["elements"]] == ["Remember", "No"]
    assert offer.thread_ts == "1760000001.000001"  # in the goal's thread, for everyone to see
    # Bo's click changes nothing and he is told why
    before = _ephemerals(live, "U0BOSS")
    assert await live.click(offer, "memory-remember", user="U0BOSS") == 200
    assert "Only anna.b can answer this" in await _said(live, "U0BOSS", before)
    assert await _memories(app) == [] and not live.updates_of(offer.ts)
    # Anna's click keeps it, with the message that taught it; the offer loses its buttons
    assert await live.click(offer, "memory-remember", user="U0ANNA") == 200
    await eventually(lambda: bool(live.updates_of(offer.ts)), 10, "the offer answered")
    await live.settle()
    answered = blocks_of(live.updates_of(offer.ts)[-1])
    assert "Remembered for this channel: “the team is Ana, Ben and Chloe” (#1)" in text_of(answered)
    assert not any(b["type"] == "actions" for b in answered)
    [row] = await _memories(app)
    assert (row.taught_by, row.source_message, row.kind) == ("slack:T0001:U0ANNA", "slack:Ev0ANSWER1", "team_members")
    # a second click: already answered
    before = _ephemerals(live, "U0ANNA")
    assert await live.click(offer, "memory-no", user="U0ANNA", action_ts="1760000301.000001") == 200
    assert "Already remembered (#1)" in await _said(live, "U0ANNA", before)


async def test_no_is_kept_and_the_offer_says_so(live: Live, app: Deputy) -> None:
    offer = await _taught_the_team(live)
    assert await live.click(offer, "memory-no", user="U0ANNA") == 200
    await eventually(lambda: bool(live.updates_of(offer.ts)), 10, "the offer answered")
    await live.settle()
    assert "I won't offer it again" in text_of(blocks_of(live.updates_of(offer.ts)[-1]))
    assert await _memories(app) == []
    async with app.database.session(all_teams=True) as session:
        [proposal] = (await session.exec(select(MemoryProposalRow))).all()
    assert proposal.status == "declined"


async def test_a_later_card_says_using_on_every_redraw_and_forget_works(live: Live, app: Deputy) -> None:
    offer = await _taught_the_team(live)
    assert await live.click(offer, "memory-remember", user="U0ANNA") == 200
    await eventually(lambda: bool(live.updates_of(offer.ts)), 10, "the offer answered")
    await live.settle()
    cards_before = len(_messages(live, "approve"))
    await live.slash("book a meeting with the team tomorrow at 11")
    await eventually(lambda: len(_messages(live, "approve")) > cards_before, 10, "the new card")
    await live.settle()
    card = _messages(live, "approve")[-1]
    assert USING in text_of(card.blocks)
    assert "with Ana, Ben and Chloe" in text_of(card.blocks)
    assert {b.version for a, b in card.buttons.items() if a == "memory-forget"} == {1}  # [Forget #1]
    # approved and run: every redraw keeps the line
    assert await live.click(card, "approve", user="U0ANNA") == 200
    await eventually(lambda: any("done" in str(u.params["text"]) for u in live.updates_of(card.ts)), 15, "done")
    await live.settle()
    updates = live.updates_of(card.ts)
    assert len(updates) >= 3 and all(USING in text_of(blocks_of(u)) for u in updates)
    # [Forget #1] on the finished card: Bo may not, Anna may; the card then says so
    final = updates[-1]
    buttons, values = buttons_of(blocks_of(final))
    assert "memory-forget" in buttons
    done = Card(card.call, card.ts, buttons, values)  # the card as redrawn, in its thread
    before = _ephemerals(live, "U0BOSS")
    assert await live.click(done, "memory-forget", user="U0BOSS") == 200
    assert "only they or the policy's memory_keepers" in await _said(live, "U0BOSS", before)
    before = _ephemerals(live, "U0ANNA")
    assert await live.click(done, "memory-forget", user="U0ANNA", action_ts="1760000302.000001") == 200
    assert "Forgotten: #1" in await _said(live, "U0ANNA", before)
    await eventually(lambda: "forgotten since" in text_of(blocks_of(live.updates_of(card.ts)[-1])), 10, "redraw")
    [row] = await _memories(app)
    assert row.forgotten_by == "slack:T0001:U0ANNA"


TOM = "book a meeting with Tom Becker from Globex tomorrow afternoon"


async def _lengthen(live: Live, slack_api: FakeSlackApi, goal_number: int) -> Card:
    """Anna asks for a meeting with Tom and makes it 45 minutes in the Modify form."""
    before = len(_messages(live, "approve"))
    await live.slash(TOM)
    await eventually(lambda: len(_messages(live, "approve")) > before, 10, "the card")
    await live.settle()
    card = _messages(live, "approve")[-1]
    step = re.search(r"\*(\d+)\. local\.find_free_slots\*", text_of(card.blocks))
    assert step is not None
    assert await live.click(card, "modify", user="U0ANNA", action_ts=f"17600003{goal_number:02d}.000001") == 200
    opened = await slack_api.wait_for("views.open", count=goal_number)
    view = opened[-1].params["view"]
    submit = wire.interactive(wire.view_submission(view, {f"arg:{step.group(1)}:duration_minutes": "45"},
                                                   user="U0ANNA"))
    assert await live.send(submit, wire.FORM) == 200
    await eventually(lambda: len(_messages(live, "approve")) > before + 1, 10, "version 2")
    await live.settle()
    return card


async def test_the_same_change_in_the_modify_form_twice_is_offered(
        live: Live, app: Deputy, slack_api: FakeSlackApi) -> None:
    await _lengthen(live, slack_api, 1)
    assert not _messages(live, "memory-remember")  # once is not a habit
    second = await _lengthen(live, slack_api, 2)
    await eventually(lambda: bool(_messages(live, "memory-remember")), 10, "the offer")
    [offer] = _messages(live, "memory-remember")
    assert "remember that meetings with Tom Becker are 45 minutes?" in text_of(offer.blocks)
    assert offer.thread_ts == second.thread_ts  # in the second goal's thread
    assert await live.click(offer, "memory-remember", user="U0ANNA", action_ts="1760000399.000001") == 200
    await eventually(lambda: bool(live.updates_of(offer.ts)), 10, "the offer answered")
    await live.settle()
    [row] = await _memories(app)
    assert (row.kind, row.value["minutes"], row.taught_by) == ("meeting_length", 45, "slack:T0001:U0ANNA")
    before = len(_messages(live, "approve"))
    await live.slash(TOM)
    await eventually(lambda: len(_messages(live, "approve")) > before, 10, "the card")
    await live.settle()
    shown = text_of(_messages(live, "approve")[-1].blocks)
    assert "45-minute meeting" in shown and "Using: meetings with Tom Becker are 45 minutes — from anna.b" in shown
