"""Only the exact command forms are commands; everything else is a goal. A new session can
decide a plan that waits from an earlier one."""

from __future__ import annotations

import pytest

from bot.app import Deputy
from bot.chat.command_syntax import parse_command
from tests.support.chat import Chat


@pytest.mark.parametrize(("text", "command"), [
    ("cancel 5", ("cancel", "5")), ("cancel #5", ("cancel", "#5")), ("connect crm", ("connect", "crm")),
    ("disconnect invoicing", ("disconnect", "invoicing")), ("status", ("status", "")),
    ("cancel the design review", None), ("cancel retro", None), ("connect Ben with the Globex people", None),
    ("connect Ben", None), ("status of the Acme deal", None),
    # the team's settings: the exact forms only
    ("setup", ("setup", "")), ("admin", ("admin", "")), ("setup digest <#42>", ("setup", "digest <#42>")),
    ("setup role finance <@&7>", ("setup", "role finance <@&7>")), ("admin timezone Europe/Paris",
                                                                    ("admin", "timezone Europe/Paris")),
    ("setup the room for Friday", None), ("setup digest for the finance team", None),
    ("admin rights for Ben", None),
])
def test_only_exact_forms_are_commands(text: str, command: tuple[str, str] | None) -> None:
    assert parse_command(text) == command


async def test_cancel_the_design_review_is_a_goal_to_cancel_an_event(chat: Chat) -> None:
    said = await chat.say("cancel the design review")
    assert "Use: cancel GOAL_ID" not in said
    assert [s.action for s in chat.card.steps] == ["local.find_event", "local.cancel_event"]


async def test_a_new_session_approves_a_plan_left_waiting(chat: Chat, deputy: Deputy) -> None:
    await chat.say("chase overdue invoices")
    assert chat.card.state.value == "awaiting approval"
    later = Chat(deputy, user="Dev Patel")  # a new `deputy shell`: it has seen no card
    assert "There is no plan to answer yet" in await later.say("approve")
    said = await later.say("approve 1")
    assert "Done: Send payment reminders" in said
    assert "There is no plan for goal #9" in await later.say("approve 9")
