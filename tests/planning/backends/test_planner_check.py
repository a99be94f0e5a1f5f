"""`deputy planner check`: one tiny request to the configured backend, and what it prints."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.planner_check import check_planner
from bot.settings import Settings, load_settings
from tests.fakes.openai_api import FakeOpenAI, text_reply, tool_call


def settings_for(tmp_path: Path, api: FakeOpenAI) -> Settings:
    return load_settings(home=tmp_path, planner="openai-compatible", planner_model="llama3.1:8b",
                         planner_base_url=api.base_url, anthropic_max_retries=0)


async def test_a_model_that_calls_the_tool_works(tmp_path: Path) -> None:
    async with FakeOpenAI() as api:
        api.queue(tool_call("submit_plan", {"summary": "ping", "steps": [
            {"id": "s1", "action": "check.ping", "args": {}}]}))
        report = await check_planner(settings_for(tmp_path, api))
    assert report.tool_calling and report.calls == 1
    lines = report.lines()
    assert lines[:2] == ["planner: openai-compatible", "model: llama3.1:8b"]
    assert lines[2].startswith("latency: ") and lines[2].endswith(" ms (1 call)")
    assert lines[3] == "tool calling: works (submit_plan with check.ping)"
    # tiny: one action in the catalogue, not the loaded integrations
    [request, *_] = api.requests
    assert [t["function"]["name"] for t in request.json["tools"]] == ["submit_plan", "ask_question"]
    assert "local.send_reminder" not in request.body.decode()
    assert request.json["tools"][0]["function"]["parameters"]["properties"]["steps"]["items"]["properties"][
        "action"]["enum"] == ["check.ping"]


async def test_a_model_that_only_talks_fails_the_check(tmp_path: Path) -> None:
    async with FakeOpenAI() as api:
        api.queue(text_reply("pong"), text_reply("pong"))
        report = await check_planner(settings_for(tmp_path, api))
    assert not report.tool_calling and report.calls == 2
    assert report.lines()[3] == ("tool calling: FAILED (llama3.1:8b on openai-compatible answered in plain "
                                 "text instead of calling a tool)")


def test_the_rules_need_no_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("DEPUTY_HOME", str(tmp_path))
    monkeypatch.setenv("DEPUTY_PLANNER", "rules")
    result = CliRunner().invoke(app, ["planner", "check"])
    assert result.exit_code == 0, result.output
    assert "planner: rules" in result.output and "model: offline rules (no model)" in result.output


def test_an_unreachable_server_fails_the_check_with_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {"DEPUTY_HOME": str(tmp_path), "DEPUTY_PLANNER": "openai-compatible",
                        "DEPUTY_PLANNER_MODEL": "llama3.1:8b", "DEPUTY_PLANNER_BASE_URL": f"http://127.0.0.1:{port}/v1",
                        "DEPUTY_ANTHROPIC_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["planner", "check"])
    assert result.exit_code == 1, result.output
    assert "tool calling: FAILED (llama3.1:8b on openai-compatible could not be reached)" in result.output
