"""The card's "Using:" line names the memories that shaped the plan on every drawing of the
card — proposed, after a Modify, approved, running, finished — with a [Forget #N] button."""

from __future__ import annotations

import pytest

from bot.adapters.shell.session import local_actor
from bot.app import Deputy
from bot.chat.events import ButtonPressed
from bot.chat.replies import CardState, PlanCard
from bot.dispatch import dispatch
from bot.flow.card_refresh import current_card
from bot.store import goals
from tests.support.chat import Chat

USING = "Using: our standups are 15 minutes — from "
STANDUP = "book a standup with Ana and Ben tomorrow at 10"


def _shown(card: PlanCard) -> tuple[bool, list[str]]:
    return USING in card.note, [b.label for b in card.buttons if b.id.endswith(":memory-forget")]


async def test_every_redraw_keeps_the_using_line(chat: Chat, deputy: Deputy) -> None:
    seen: list[PlanCard] = []
    update = chat.port.update

    async def keep(ref, reply):  # type: ignore[no-untyped-def]
        if isinstance(reply, PlanCard):
            seen.append(reply)
        await update(ref, reply)

    chat.port.update = keep  # type: ignore[method-assign]
    await chat.say("remember that our standups are 15 minutes")
    await chat.say(STANDUP)
    assert _shown(chat.card) == (True, ["Forget #1"])
    await chat.say("modify 2 title=Daily_standup")
    assert chat.card.version == 2 and _shown(chat.card) == (True, ["Forget #1"])
    assert "Done" in await chat.say("approve", as_user="Ana Lima")
    states = [c.state for c in seen if c.version == 2]
    assert {CardState.APPROVED, CardState.RUNNING, CardState.SUCCEEDED} <= set(states)
    assert all(USING in c.note for c in seen if c.version == 2), [c.note for c in seen]
    assert chat.card.state is CardState.SUCCEEDED and _shown(chat.card) == (True, ["Forget #1"])


async def test_the_forget_button_forgets_and_the_card_says_so(chat: Chat, deputy: Deputy) -> None:
    await chat.say("remember that our standups are 15 minutes")
    await chat.say(STANDUP)
    (button,) = [b for b in chat.card.buttons if b.label == "Forget #1"]
    start = len(chat.lines)
    # someone else's click: not theirs to forget
    await dispatch(deputy, ButtonPressed(actor=local_actor("Ana Lima"), where=chat.session.where(True),
                                         button_id=button.id))
    assert "only they or the policy's memory_keepers can forget it" in "\n".join(chat.lines[start:])
    assert _shown(chat.card) == (True, ["Forget #1"])
    await dispatch(deputy, ButtonPressed(actor=chat.user, where=chat.session.where(True), button_id=button.id))
    assert "Forgotten: #1" in "\n".join(chat.lines[start:])
    assert "(#1, forgotten since)" in chat.card.note and _shown(chat.card)[1] == []
    await chat.say(STANDUP)  # the next plan does not use it
    assert "Using:" not in chat.card.note and "15-minute" not in chat.card.summary



def _using(card: PlanCard) -> tuple[list[str], list[str]]:
    """The card's "Using:" lines and its [Forget] buttons, as a person reads them."""
    return ([line for line in card.note.splitlines() if line.startswith("Using: ")],
            [b.label for b in card.buttons if b.id.endswith(":memory-forget")])


# a memory shapes a booking (the rule planner's calendar plans name the memories they used);
# a past run is repeated for another client
SHAPED = (["remember that our standups are 15 minutes"], STANDUP, USING, ["Forget #1"])
REPEATED = (["invoice Acme Corp for October 2026", "approve"], "do the same for Globex",
            "Using: run #1 “Invoice Acme Corp for October 2026 and send the invoices” of 25 Nov", [])


@pytest.mark.parametrize(("before", "goal", "using", "forget"), [SHAPED, REPEATED], ids=["memory", "past-run"])
async def test_the_first_card_and_a_redraw_show_the_same_using_lines(
        chat: Chat, deputy: Deputy, before: list[str], goal: str, using: str, forget: list[str]) -> None:
    """The card as first posted (proposals) and as redrawn from the database (card_refresh:
    every update, the web console) name the same memories and past runs in the same words,
    with the same [Forget] buttons: a drift in either path shows here."""
    for line in before:
        await chat.say(line, as_user="Ana Lima" if line == "approve" else None)
    await chat.say(goal)
    first = chat.card
    lines, buttons = _using(first)
    assert len(lines) == 1 and lines[0].startswith(using), first.note
    assert buttons == forget
    async with deputy.database.session(team=chat.user.team_key) as session:
        view = await goals.load_view(session, first.plan_id, first.version)
    assert view is not None
    assert _using(await current_card(deputy, view)) == (lines, buttons)
