"""Connecting an account: a private form, checked, stored encrypted, used only for its owner."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.shell.session import ShellSession, local_actor
from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.errors import NotConnected
from bot.execution.executor import call_with_credentials
from bot.sdk import ActionSet, CallContext, LoadedIntegration, Manifest, ReconnectNeeded, Registry
from bot.settings import Settings
from bot.store.database import Database
from bot.store.tables import GoalRow
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.support.chat import Chat

TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def crm_integration(seen: list[Mapping[str, str]]) -> LoadedIntegration:
    manifest = Manifest.model_validate({
        "name": "remote", "description": "A CRM that needs a token.", "auth": "api_key",
        "credentials": [{"name": "token", "label": "API token"},
                        {"name": "region", "label": "Region", "secret": False, "required": False}],
        "actions": [{"name": "touch", "description": "Touch a record.", "effect": "write",
                     "args": {"type": "object", "properties": {"id": {"type": "integer"}}}}],
    })
    actions = ActionSet("remote", client_factory=lambda env: None)

    @actions.action("touch")
    async def touch(client: Any, ctx: CallContext, *, id: int = 1) -> dict[str, Any]:
        seen.append(dict(ctx.credentials))
        return {"touched": id}

    async def check(credentials: Mapping[str, str]) -> None:
        if credentials["token"] != TOKEN:
            raise ReconnectNeeded("remote")

    return LoadedIntegration(manifest=manifest, actions=actions, check_credentials=check)


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, bool]] = []

    async def __call__(self, label: str, secret: bool) -> str | None:
        self.asked.append((label, secret))
        return self.answers.pop(0) if self.answers else None


@pytest.fixture
async def app(database: Database, settings: Settings) -> tuple[Deputy, list[Mapping[str, str]]]:
    seen: list[Mapping[str, str]] = []
    registry = Registry([crm_integration(seen)])
    planner = ScriptedPlanner(*[PlanDraft(summary="Touch record 7", steps=[
        Step(id="s1", action="remote.touch", args={"id": 7})]) for _ in range(3)])
    deputy = await make_app(database, settings, registry, planner=planner)
    return deputy, seen


def chat_with(deputy: Deputy, answers: Answers, user: str = "Alice") -> Chat:
    chat = Chat(deputy, user=user)
    chat.session = ShellSession(deputy, chat.port, local_actor(user, "UTC"), answers)
    return chat


async def test_connect_asks_privately_stores_encrypted_and_runs_with_it(
        app: tuple[Deputy, list[Mapping[str, str]]], database: Database, database_url: str) -> None:
    deputy, seen = app
    answers = Answers(TOKEN, "eu")
    chat = chat_with(deputy, answers)
    out = await chat.say("connect remote")
    assert answers.asked == [("API token: ", True), ("Region (optional): ", False)]
    assert "Connected remote" in out
    assert "remote (since" in await chat.say("connections")
    out = await chat.say("touch record 7")
    assert "Not connected" not in out
    assert "✓ Run 1: Done" in await chat.say("approve")
    assert seen == [{"token": TOKEN, "region": "eu"}]
    assert TOKEN not in chat.transcript
    if database_url.startswith("sqlite"):
        raw = await asyncio.to_thread(Path(database_url.removeprefix("sqlite:///")).read_bytes)
        assert TOKEN.encode() not in raw


async def test_a_rejected_token_is_not_stored(app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, _ = app
    chat = chat_with(deputy, Answers("wrong-token", ""))
    out = await chat.say("connect remote")
    assert "did not accept" in out and "Nothing was stored" in out
    assert "connected nothing" in await chat.say("connections")


async def test_a_plan_needing_a_missing_connection_says_so_and_cannot_be_approved(
        app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, seen = app
    chat = chat_with(deputy, Answers())
    out = await chat.say("touch record 7")
    assert "Not connected yet: remote" in out and "connect remote" in out
    out = await chat.say("approve")
    assert "has not connected yet" in out and "Nothing was approved" in out
    assert seen == []


async def test_credentials_are_never_used_for_someone_else(
        app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, seen = app
    await chat_with(deputy, Answers(TOKEN, "")).say("connect remote")
    bob = chat_with(deputy, Answers(), user="Bob")
    out = await bob.say("touch record 7")
    assert "Not connected yet: remote" in out
    assert "has not connected" in await bob.say("approve")
    assert seen == []


async def test_a_plan_runs_with_the_requesters_credentials_whoever_approves_it(
        app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, seen = app
    chat = chat_with(deputy, Answers(TOKEN, "eu"))
    await chat.say("connect remote")
    assert deputy.vault is not None  # Bob, who approves, has connected his own account
    await deputy.vault.put(local_actor("Bob").key, "remote", {"token": "bobs-own-token", "region": "us"})
    await chat.say("touch record 7")
    assert "✓ Run 1: Done" in await chat.say("approve", as_user="Bob")
    assert seen == [{"token": TOKEN, "region": "eu"}]


async def test_a_step_of_someone_not_connected_is_not_sent(
        app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    # the approval checks connections; the call checks again (a disconnect after approval)
    deputy, seen = app
    with pytest.raises(NotConnected, match="remote"):
        await call_with_credentials(deputy, local_actor("Bob"), "remote.touch", {"id": 7}, "k1")
    assert seen == []


async def test_disconnect_deletes(app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, _ = app
    chat = chat_with(deputy, Answers(TOKEN, ""))
    await chat.say("connect remote")
    assert "Disconnected remote" in await chat.say("disconnect remote")
    assert "connected nothing" in await chat.say("connections")


async def test_a_secret_pasted_as_a_goal_is_not_stored(
        app: tuple[Deputy, list[Mapping[str, str]]], database: Database) -> None:
    deputy, _ = app
    chat = chat_with(deputy, Answers())
    out = await chat.say("here is my key sk_live_51HxYzAbCdEfGhIjKlMnOpQr please use it")
    assert "looks like it contains a secret" in out
    async with database.session(all_teams=True) as session:
        assert (await session.get(GoalRow, 1)) is None


async def test_connect_to_an_unknown_integration_lists_the_choices(
        app: tuple[Deputy, list[Mapping[str, str]]]) -> None:
    deputy, _ = app
    out = await chat_with(deputy, Answers()).say("connect salesforce")
    assert "no integration called 'salesforce'" in out and "remote" in out
