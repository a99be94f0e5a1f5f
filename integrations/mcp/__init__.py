"""MCP: each MCP server configured in deputy.toml becomes an integration; its tools, actions.

Unlike the other integrations this folder has no manifest.yaml: the manifests are built in
memory at start-up from each server's tool list (see :mod:`integrations.mcp.loader`).
"""
