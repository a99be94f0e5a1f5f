"""DEPUTY_PLANNER picks the backend; a backend missing what it needs stops start-up with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.planning.factory import backend_name, planner_for
from bot.planning.fallback import FallbackPlanner
from bot.planning.openai_compat import OpenAICompatiblePlanner
from bot.planning.rules import RulePlanner
from bot.registry import discover
from bot.settings import load_settings


def test_the_default_is_rules_without_a_key_and_claude_with_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    registry = discover(["local"])
    assert isinstance(planner_for(load_settings(home=tmp_path), registry), RulePlanner)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-factory")
    planner = planner_for(load_settings(home=tmp_path), registry)
    assert isinstance(planner, FallbackPlanner) and planner.model.label == "claude-sonnet-5-5 on anthropic"
    # an explicit choice wins over the key
    assert isinstance(planner_for(load_settings(home=tmp_path, planner="rules"), registry), RulePlanner)


def test_the_anthropic_key_is_a_setting_deputy_toml_may_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deputy.toml").write_text('anthropic_api_key = "sk-ant-from-toml"\n')
    settings = load_settings(home=tmp_path)
    assert backend_name(settings) == "anthropic"
    assert "sk-ant-from-toml" not in repr(settings)
    planner = planner_for(settings, discover(["local"]))
    assert isinstance(planner, FallbackPlanner) and planner.model.label == "claude-sonnet-5-5 on anthropic"


def test_openai_compatible_is_built_from_the_planner_settings(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, planner="openai-compatible", planner_model="qwen2.5:7b",
                             planner_base_url="http://127.0.0.1:11434/v1")
    planner = planner_for(settings, discover(["local"]))
    assert isinstance(planner, FallbackPlanner) and isinstance(planner.model, OpenAICompatiblePlanner)
    assert planner.model.label == "qwen2.5:7b on openai-compatible"


@pytest.mark.parametrize("backend", ["openai-compatible", "bedrock", "vertex"])
def test_a_model_backend_needs_a_model(tmp_path: Path, backend: str) -> None:
    with pytest.raises(SettingsError, match=f"DEPUTY_PLANNER_MODEL: required when DEPUTY_PLANNER={backend}"):
        load_settings(home=tmp_path, planner=backend)


def test_an_unknown_backend_and_a_bad_url_are_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DEPUTY_PLANNER:"):
        load_settings(home=tmp_path, planner="ollama")
    with pytest.raises(SettingsError, match="DEPUTY_PLANNER_BASE_URL: must be an http"):
        load_settings(home=tmp_path, planner_base_url="127.0.0.1:11434")
