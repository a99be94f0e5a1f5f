"""Adds one integration per configured MCP server at start-up (bot/startup.py calls every
installed builder the same way, between loading the integrations and starting them)."""

from __future__ import annotations

from bot.sdk import ManifestError, Registry, SettingsError
from integrations.mcp.settings import McpSettings


async def add_integrations(registry: Registry, config: McpSettings) -> None:
    if not config.mcp_servers:
        return  # the MCP library is not even imported
    from integrations.mcp.loader import add_mcp_integrations  # noqa: PLC0415 - see above

    try:
        await add_mcp_integrations(registry, config.mcp_servers)
    except ManifestError as err:
        raise SettingsError(
            f"DEPUTY_MCP_SERVERS: {err}; fix that server in [[mcp_servers]] of deputy.toml (or "
            "DEPUTY_MCP_SERVERS), or remove it") from None
