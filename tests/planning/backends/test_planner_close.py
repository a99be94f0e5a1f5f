"""Closing the app closes the planner's connections to the model: nothing is left for the
garbage collector to close later on a loop that has ended ("Event loop is closed")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.planning.factory import planner_for
from bot.registry import discover
from bot.settings import load_settings
from bot.store.database import Database
from tests.core.conftest import seeded_app
from tests.fakes.anthropic_api import FakeAnthropic
from tests.fakes.anthropic_api import text_reply as claude_text
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.openai_api import text_reply as openai_text
from tests.support.chat import Chat

MODELS = {"anthropic": "claude-sonnet-5-5", "openai-compatible": "llama3.1:8b"}
KEY = "sk-ant-test-planner-close-0000"


@pytest.mark.parametrize("backend", sorted(MODELS))
async def test_closing_the_app_closes_the_model_connection(database: Database, tmp_path: Path, backend: str) -> None:
    model = (FakeAnthropic(api_key=KEY) if backend == "anthropic"
             else FakeOpenAI(models=(MODELS[backend],), api_key=KEY))
    async with model:
        settings = load_settings(
            home=tmp_path / "home", timezone="Europe/London", planner=backend, planner_model=MODELS[backend],
            planner_base_url=model.base_url, planner_api_key=KEY, anthropic_max_retries=0)
        registry = discover(["local"])
        app = await seeded_app(database, settings, registry, planner=planner_for(settings, registry))
        said = "Which Alice?"
        model.queue(claude_text(said) if backend == "anthropic" else openai_text(said))
        await Chat(app, user="Dev Patel").say("look up Alice")
        assert model.open_connections() == 1, "the SDK keeps its connection to the model alive"

        await app.close()

        for _ in range(250):  # the server sees the close a moment later; 5 s at most
            if model.open_connections() == 0:
                break
            await asyncio.sleep(0.02)
        assert model.open_connections() == 0, "the planner's connection was left open"
