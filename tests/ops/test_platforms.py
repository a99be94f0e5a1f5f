"""`deputy serve --platforms`: which platforms' events a process receives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.platforms import configured, parse_platforms
from bot.settings import load_settings
from tests.support.deputy_process import DEPUTY, clean_environ


def test_default_is_every_configured_platform(tmp_path: Path) -> None:
    both = load_settings(home=tmp_path, slack_bot_token="xoxb-1", discord_token="d-1")
    assert configured(both) == ["slack", "discord"]
    assert parse_platforms(None, both) == ["slack", "discord"]
    assert parse_platforms("slack", both) == ["slack"]
    assert parse_platforms(" Discord , slack,discord", both) == ["discord", "slack"]
    assert parse_platforms(None, load_settings(home=tmp_path)) == []


def test_a_platform_must_be_known_and_configured(tmp_path: Path) -> None:
    slack_only = load_settings(home=tmp_path, slack_bot_token="xoxb-1")
    with pytest.raises(SettingsError, match="unknown platform 'discrod'; use slack, discord"):
        parse_platforms("discrod", slack_only)
    with pytest.raises(SettingsError, match="discord is not configured; set DISCORD_TOKEN"):
        parse_platforms("slack,discord", slack_only)


def test_the_command_says_it_in_one_line(tmp_path: Path) -> None:
    env = {**clean_environ(),
           "DEPUTY_HOME": str(tmp_path / "home"), "SLACK_BOT_TOKEN": "xoxb-1"}
    done = subprocess.run([str(DEPUTY), "serve", "--platforms", "discord"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "deputy: --platforms: discord is not configured; set DISCORD_TOKEN"
    assert not (tmp_path / "home").exists()  # stopped before touching anything
