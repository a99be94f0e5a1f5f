"""The mcp builder's own settings (integrations/mcp/settings.py) read ``[[mcp_servers]]``
from deputy.toml, where Deputy's settings leave that key to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from integrations.mcp.settings import McpSettings

DEPUTY_TOML = """
[[mcp_servers]]
name = "files"
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "/srv/shared"]
env = { FILES_TOKEN = "s3cret-files" }

[[mcp_servers]]
name = "tickets"
transport = "http"
url = "https://mcp.example.com/mcp"
headers = { Authorization = "Bearer s3cret-tickets" }
timeout_seconds = 20
"""


def load() -> McpSettings:
    # called through Any: pydantic-settings fills every field from its sources, mypy cannot tell
    settings_class: Any = McpSettings
    settings: McpSettings = settings_class()
    assert Settings().model_extra == {}  # Deputy's own settings leave [[mcp_servers]] alone
    return settings


def test_mcp_servers_are_read_from_deputy_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deputy.toml").write_text(DEPUTY_TOML)
    settings = load()
    files, tickets = settings.mcp_servers
    assert (files.name, files.transport, files.command) == ("files", "stdio", "npx")
    assert files.revealed_env() == {"FILES_TOKEN": "s3cret-files"}
    assert (tickets.transport, tickets.timeout_seconds) == ("http", 20)
    assert "s3cret" not in repr(settings)


def test_a_bad_server_entry_fails_at_start_naming_the_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deputy.toml").write_text('[[mcp_servers]]\nname = "Files"\ncommand = "x"\n')
    with pytest.raises(ValidationError, match="'Files' must be lowercase letters"):
        load()


def test_a_server_can_be_declared_for_some_teams_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "deputy.toml").write_text(DEPUTY_TOML.replace(
        'timeout_seconds = 20', 'timeout_seconds = 20\nteams = ["slack:T0ACME", "discord:81234"]'))
    monkeypatch.chdir(tmp_path)
    files, tickets = load().mcp_servers
    assert files.teams == [] and tickets.teams == ["slack:T0ACME", "discord:81234"]


@pytest.mark.parametrize("team", ["T0ACME", "slack:", "slack:T1:U1"])
def test_a_team_that_is_not_platform_team_is_refused(team: str) -> None:
    with pytest.raises(ValidationError, match="is not platform:team"):
        McpSettings.model_validate({"mcp_servers": [{"name": "files", "command": "npx", "teams": [team]}]})
