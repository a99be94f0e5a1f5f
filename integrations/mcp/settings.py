"""The mcp builder's settings: the servers whose tools become actions.

Written as ``[[mcp_servers]]`` tables in deputy.toml, or as JSON in DEPUTY_MCP_SERVERS.
"""

from __future__ import annotations

from pydantic import Field

from bot.sdk import IntegrationSettings
from integrations.mcp.config import McpServerConfig


class McpSettings(IntegrationSettings):
    mcp_servers: list[McpServerConfig] = Field(
        default_factory=list,
        description="MCP servers whose tools become actions ([[mcp_servers]] in deputy.toml).",
        examples=['[{"name": "files", "command": "npx", "args": ["-y", "…"]}]'])
