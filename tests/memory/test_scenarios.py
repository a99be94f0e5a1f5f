"""The memory scenario table (tests/memory/scenarios.py), each run through the chat harness
on SQLite and PostgreSQL: earlier conversations, then a goal whose plan depends on them."""

from __future__ import annotations

import pytest

from bot.app import Deputy
from tests.memory.scenarios import SCENARIOS, Scenario
from tests.support.builder import FakeClock
from tests.support.chat import Chat


async def _converse(chat: Chat, clock: FakeClock, scenario: Scenario) -> tuple[str, bool]:
    """What Deputy answered the goal, and whether it posted a card for it."""
    for speaker, channel, text in scenario.before:
        chat.session.channel = channel
        await chat.say(text, as_user=speaker)
    chat.session.channel = scenario.channel
    if scenario.days_later:
        clock.advance(days=scenario.days_later)
    earlier = chat.port.latest_card
    answer = await chat.say(scenario.goal, as_user=scenario.asker)
    latest = chat.port.latest_card
    return answer, latest is not None and (earlier is None or latest.goal_id != earlier.goal_id)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_scenario(chat: Chat, deputy: Deputy, fake_clock: FakeClock, scenario: Scenario) -> None:
    answer, carded = await _converse(chat, fake_clock, scenario)
    if scenario.asks:
        assert scenario.asks in answer and not carded, f"{scenario.name}: {answer}"
        assert all(t in answer for t in scenario.must), f"{scenario.name}: {answer}"
        assert not [t for t in scenario.must_not if t in answer], f"{scenario.name}: {answer}"
        return
    assert carded, f"{scenario.name}: no card for the goal, but {answer}"
    card = chat.card
    for text in scenario.must:
        assert text in card.summary, f"{scenario.name}: {text!r} not in {card.summary!r}"
    for text in scenario.must_not:
        assert text not in card.summary, f"{scenario.name}: {text!r} in {card.summary!r}"
    using = [line for line in card.note.splitlines() if line.startswith("Using: ")]
    if scenario.using:
        assert using and scenario.using in using[0], f"{scenario.name}: {using}"
    else:
        assert not using, f"{scenario.name}: no memory should shape this plan, but {using}"
