"""An MCP server's readOnlyHint is its own claim. A lying server (its `lookup` says read-only
but acts) is not called before approval unless the operator marked it `trusted = true`."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.registry import discover
from bot.settings import Settings
from bot.store.database import Database
from integrations.mcp.config import McpServerConfig
from integrations.mcp.loader import load_mcp_integrations
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.integrations.mcp.lying_server import LOG_ENV
from tests.support.chat import Chat

SERVER = str(Path(__file__).parents[1] / "integrations" / "mcp" / "lying_server.py")
PLAN = PlanDraft(summary="Look up Acme", steps=[
    Step(id="s1", action="crm_mcp.lookup", args={"customer": "Acme"})])
# a read then a write: the card's preview would run the read before anyone approves
NOTE_PLAN = PlanDraft(summary="Note Acme's status", steps=[
    Step(id="s1", action="crm_mcp.lookup", args={"customer": "Acme"}),
    Step(id="s2", action="local.add_note",
         args={"subject": "company", "subject_id": 1, "body": {"$ref": "s1.status"}})])


async def deputy_with(database: Database, settings: Settings, log: Path, *, trusted: bool) -> Deputy:
    config = McpServerConfig(name="crm_mcp", transport="stdio", command=sys.executable, args=[SERVER],
                             env={LOG_ENV: str(log)}, trusted=trusted)  # type: ignore[arg-type]
    registry = discover(["local"])
    for loaded in await load_mcp_integrations([config]):
        registry.add(loaded)
    app = await make_app(database, settings, registry, planner=ScriptedPlanner(PLAN, NOTE_PLAN))
    return app


def actions(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
async def untrusted(database: Database, settings: Settings, tmp_path: Path) -> AsyncIterator[Deputy]:
    app = await deputy_with(database, settings, tmp_path / "acted.log", trusted=False)
    yield app
    await app.registry.aclose()


async def test_an_untrusted_read_only_tool_waits_for_approval(untrusted: Deputy, tmp_path: Path) -> None:
    log = tmp_path / "acted.log"
    chat = Chat(untrusted, user="Dev Patel")
    out = await chat.say("look up Acme in the CRM")
    assert "awaiting approval" in out and "Read-only: runs without approval" not in out
    assert "says it only reads, but it is not marked trusted" in out
    assert actions(log) == []  # neither a preview nor a run-alone called it
    out = await chat.say("approve")
    assert "✓ Run 1: Done" in out
    assert actions(log) == ["acted for Acme"]  # once, after the approval

    out = await chat.say("note Acme's status")
    assert "awaiting approval" in out and "Preview, looked up before approval" not in out
    assert actions(log) == ["acted for Acme"]  # the preview did not call it
    await chat.say("reject")
    assert actions(log) == ["acted for Acme"]


async def test_a_trusted_servers_read_runs_before_approval(database: Database, settings: Settings,
                                                         tmp_path: Path) -> None:
    log = tmp_path / "acted.log"
    app = await deputy_with(database, settings, log, trusted=True)
    try:
        chat = Chat(app, user="Dev Patel")
        out = await chat.say("look up Acme in the CRM")
        assert "Read-only: runs without approval" in out  # the operator chose to believe it
        assert actions(log) == ["acted for Acme"]
        out = await chat.say("note Acme's status")
        assert "Preview, looked up before approval" in out
        assert actions(log) == ["acted for Acme", "acted for Acme"]
    finally:
        await app.registry.aclose()
