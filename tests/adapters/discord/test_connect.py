"""Connecting an account on Discord: `/deputy connect X` is answered privately, the form is an
ephemeral message whose button opens a modal, and what is typed reaches the core as one
CredentialsSubmitted, never a channel message or a log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.chat.events import CommandInvoked, CredentialsSubmitted
from bot.chat.replies import ConnectForm, FormField
from tests.adapters.discord.conftest import Running, eventually

DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, CHANNEL_MESSAGE, MODAL = 5, 6, 4, 9
EPHEMERAL = 64
SECRET = "pat-na1-0f9e8d7c-6b5a-4321-9fed-cba987654321"

CRM_FORM = ConnectForm(integration="crm", title="Connect crm", fields=(
    FormField(name="access_token", label="HubSpot private app access token",
              description="Settings → Integrations → Private Apps"),))
EMAIL_FORM = ConnectForm(integration="email", title="Connect email", fields=tuple(
    FormField(name=name, label=name.replace("_", " ").title(), required=name in ("host", "from_address"))
    for name in ("host", "port", "security", "username", "password", "from_address")))


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message["components"] for c in row["components"]]


def _inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    return [row["components"][0] for row in modal["components"]]


async def _ask_to_connect(running: Running, form: ConnectForm) -> dict[str, Any]:
    """/deputy connect …, then the core's answer: the private form message."""
    fake, recorder = running.fake, running.recorder
    invoked = await fake.slash("alice", f"connect {form.integration}")
    (event,) = await recorder.wait_for(1)
    recorder.events.clear()
    assert isinstance(event, CommandInvoked)
    assert (event.name, event.argument) == ("connect", form.integration)
    (ack,) = fake.callbacks_for(invoked)
    assert ack.type == DEFERRED_CHANNEL_MESSAGE and ack.data["flags"] & EPHEMERAL
    assert fake.acknowledged_in(invoked) < 3
    await running.port.post_private(event.where, event.actor, form)
    (message,) = [m for m in fake.messages.values() if m["content"].startswith("🔑")]
    return message


async def test_connect_form_is_private_and_the_modal_submits_credentials(
        discord_bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake, recorder = discord_bot.fake, discord_bot.recorder
    message = await _ask_to_connect(discord_bot, CRM_FORM)
    assert message["flags"] & EPHEMERAL
    assert "Only you see this" in message["content"] and "unmasked" in message["content"]
    (button,) = _buttons(message)

    opened = await fake.click("alice", message["id"], button["custom_id"])
    await eventually(lambda: bool(fake.callbacks_for(opened)))
    (modal,) = fake.callbacks_for(opened)
    assert modal.type == MODAL
    assert "not hidden" in modal.data["title"] and len(modal.data["title"]) <= 45
    (field,) = _inputs(modal.data)
    assert field["label"] == "HubSpot private app access token" and field["required"] is True
    assert recorder.events == []

    submitted = await fake.submit_modal("alice", message["id"], modal.data["custom_id"],
                                        {field["custom_id"]: SECRET})
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, CredentialsSubmitted)
    assert event.integration == "crm" and event.fields == {"access_token": SECRET}
    assert event.actor.user_id == fake.people["alice"]["id"]
    assert [c.type for c in fake.callbacks_for(submitted)] == [DEFERRED_UPDATE]
    assert fake.acknowledged_in(submitted) < 3
    # the secret went nowhere else: no message, no log line (discord.py logs gateway
    # payloads at DEBUG), not in the event's repr
    assert all(SECRET not in str(m) for m in fake.messages.values())
    assert SECRET not in caplog.text and SECRET not in repr(event)
    assert "(hidden)" in caplog.text  # the guarded record was there, blanked

    # the form works once
    again = await fake.submit_modal("alice", message["id"], modal.data["custom_id"],
                                    {field["custom_id"]: SECRET})
    await eventually(lambda: bool(fake.callbacks_for(again)))
    (expired,) = fake.callbacks_for(again)
    assert expired.type == CHANNEL_MESSAGE and expired.data["flags"] & EPHEMERAL
    assert "expired" in expired.data["content"]
    assert len(recorder.events) == 1


async def test_a_form_longer_than_a_modal_comes_in_pages(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    message = await _ask_to_connect(discord_bot, EMAIL_FORM)
    assert "part 1 of 2" in message["content"]
    opened = await fake.click("alice", message["id"], _buttons(message)[0]["custom_id"])
    await eventually(lambda: bool(fake.callbacks_for(opened)))
    (first,) = fake.callbacks_for(opened)
    names = [i["custom_id"] for i in _inputs(first.data)]
    assert names == ["field:host", "field:port", "field:security", "field:username", "field:password"]

    page_one = await fake.submit_modal("alice", message["id"], first.data["custom_id"], {
        "field:host": "smtp.example.com", "field:port": "587", "field:security": "starttls",
        "field:username": "ana", "field:password": SECRET})
    await eventually(lambda: bool(fake.callbacks_for(page_one)))
    (next_part,) = fake.callbacks_for(page_one)
    assert next_part.type == CHANNEL_MESSAGE and next_part.data["flags"] & EPHEMERAL
    assert "part 2 of 2" in next_part.data["content"]
    assert recorder.events == []  # nothing reaches the core until the last page

    (part_two,) = [m for m in fake.messages.values() if "part 2 of 2" in m["content"]]
    opened = await fake.click("alice", part_two["id"], _buttons(part_two)[0]["custom_id"])
    await eventually(lambda: bool(fake.callbacks_for(opened)))
    (second,) = fake.callbacks_for(opened)
    assert [i["custom_id"] for i in _inputs(second.data)] == ["field:from_address"]
    await fake.submit_modal("alice", part_two["id"], second.data["custom_id"],
                            {"field:from_address": "ana@example.com"})
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, CredentialsSubmitted)
    assert event.fields == {"host": "smtp.example.com", "port": "587", "security": "starttls",
                            "username": "ana", "password": SECRET, "from_address": "ana@example.com"}


async def test_someone_else_cannot_open_or_submit_the_form(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    message = await _ask_to_connect(discord_bot, CRM_FORM)
    custom_id = _buttons(message)[0]["custom_id"]
    clicked = await fake.click("bob", message["id"], custom_id)
    submitted = await fake.submit_modal("bob", message["id"], custom_id.replace(
        "deputy-connect:", "deputy-connect-form:"), {"field:access_token": "bobs-token"})
    await eventually(lambda: bool(fake.callbacks_for(clicked)) and bool(fake.callbacks_for(submitted)))
    for interaction in (clicked, submitted):
        (answer,) = fake.callbacks_for(interaction)
        assert answer.type == CHANNEL_MESSAGE and answer.data["flags"] & EPHEMERAL
        assert "someone else" in answer.data["content"]
    assert recorder.events == []


async def test_connect_by_mention_points_to_the_private_slash_command(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    await fake.post_message("alice", f"<@{fake.bot['id']}> connect crm")
    await eventually(lambda: any(m["author"]["id"] == fake.bot["id"] for m in fake.messages.values()))
    (answer,) = [m for m in fake.messages.values() if m["author"]["id"] == fake.bot["id"]]
    assert "/deputy connect crm" in answer["content"] and not answer["components"]
    assert recorder.events == []  # no form or sign-in link is made for a public answer


async def test_a_form_with_no_interaction_to_answer_never_goes_to_the_channel(
        discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    await fake.post_message("alice", f"<@{fake.bot['id']}> status")
    (event,) = await recorder.wait_for(1)
    assert isinstance(event, CommandInvoked) and event.name == "status"
    await discord_bot.port.post_private(event.where, event.actor, CRM_FORM)
    (answer,) = [m for m in fake.messages.values() if m["author"]["id"] == fake.bot["id"]]
    assert "/deputy connect crm" in answer["content"] and not answer["components"]


async def test_a_goal_is_still_a_goal(discord_bot: Running) -> None:
    fake, recorder = discord_bot.fake, discord_bot.recorder
    invoked = await fake.slash("alice", "connect the March invoices to Acme")
    (event,) = await recorder.wait_for(1)
    assert not isinstance(event, CommandInvoked)
    (ack,) = fake.callbacks_for(invoked)
    assert ack.type == CHANNEL_MESSAGE and not ack.data.get("flags")
