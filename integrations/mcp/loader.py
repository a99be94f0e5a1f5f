"""Builds one integration per configured MCP server from the tools it lists at start-up.

Each server becomes an integration named by its config ``name``; each tool an action named
by the tool's name made safe (``[a-z0-9_]``). The tool's ``inputSchema`` is the action's
argument schema, and its annotations give the effect the policy reads: ``readOnlyHint`` →
read, ``destructiveHint`` → destructive, anything else (or no annotation) → write. MCP has
no idempotency keys, so ``idempotent_writes`` is false: the executor's retry rule
(``bot/execution/calls.py``) then fails a write interrupted by a timeout or a dropped
connection as "outcome unknown" instead of sending it again, and retries a read. A server
that cannot be reached stops start-up with its name and the reason, the way a broken
built-in integration does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import mcp_types
from pydantic import ValidationError

import integrations as integrations_package
from bot.sdk import (
    ActionFn,
    ActionSet,
    ActionSpec,
    CallContext,
    Effect,
    IntegrationEnv,
    IntegrationError,
    LoadedIntegration,
    Manifest,
    ManifestError,
    Registry,
)
from integrations.mcp.client import McpClient
from integrations.mcp.config import McpServerConfig

log = logging.getLogger(__name__)

EMPTY_ARGS: dict[str, Any] = {"type": "object", "properties": {}}
MAX_DESCRIPTION = 1000
MAX_SHOWN = 3


def builtin_integration_names() -> set[str]:
    """Folder names under ``integrations/``: an MCP server may not take one of them."""
    root = Path(integrations_package.__file__).parent
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}


def action_name(tool: str) -> str:
    """``Get-Weather.v2`` → ``get_weather_v2``."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", tool.lower())).strip("_")


def effect_of(annotations: mcp_types.ToolAnnotations | None) -> Effect:
    if annotations is None:
        return Effect.WRITE
    if annotations.read_only_hint is True:
        return Effect.READ
    if annotations.destructive_hint is True:
        return Effect.DESTRUCTIVE
    return Effect.WRITE


def args_schema(server: str, tool: mcp_types.Tool) -> dict[str, Any]:
    schema = tool.input_schema
    if not isinstance(schema, dict) or schema.get("type") != "object":
        log.warning("MCP %s.%s: input schema is not an object; accepting any arguments", server, tool.name)
        return dict(EMPTY_ARGS)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError:
        log.warning("MCP %s.%s: invalid input schema; accepting any arguments", server, tool.name)
        return dict(EMPTY_ARGS)
    return schema


def action_spec(server: str, tool: mcp_types.Tool) -> ActionSpec:
    schema = args_schema(server, tool)
    title = tool.title or (tool.annotations.title if tool.annotations else None)
    description = (tool.description or title or f"The {tool.name!r} tool").strip()
    required = schema.get("required", [])
    shown = [r for r in required if isinstance(r, str)][:MAX_SHOWN] if isinstance(required, list) else []
    try:
        return ActionSpec(name=action_name(tool.name), description=description[:MAX_DESCRIPTION],
                          effect=effect_of(tool.annotations), args=schema, shown=shown)
    except (ValidationError, jsonschema.SchemaError) as err:
        raise ManifestError(f"MCP server {server!r}: tool {tool.name!r} cannot be an action: {err}") \
            from err


def _caller(tool: str, effect: Effect) -> ActionFn:
    async def call(client: McpClient, ctx: CallContext, **args: Any) -> dict[str, Any]:
        # ctx.idempotency_key has nowhere to go: MCP has no idempotency (idempotent_writes: false)
        return await client.call_tool(tool, args, probe_first=effect is not Effect.READ)

    return call


def build_integration(config: McpServerConfig, client: McpClient,
                      tools: Sequence[mcp_types.Tool]) -> LoadedIntegration:
    """The manifest and action set of one server, from its tool list (no I/O)."""
    specs: list[ActionSpec] = []
    origin: dict[str, str] = {}
    actions = ActionSet(config.name, client_factory=lambda env: _same_client(client, env))
    for tool in tools:
        spec = action_spec(config.name, tool)
        if not spec.name:
            raise ManifestError(f"MCP server {config.name!r}: tool {tool.name!r} has no usable name")
        if spec.name in origin:
            raise ManifestError(
                f"MCP server {config.name!r}: tools {origin[spec.name]!r} and {tool.name!r} "
                f"both become action {spec.name!r}; rename one on the server")
        origin[spec.name] = tool.name
        specs.append(spec)
        actions.action(spec.name)(_caller(tool.name, spec.effect))
    description = config.description or f"Tools of the MCP server {config.name!r}."
    manifest = Manifest(name=config.name, description=description, auth="none",
                        idempotent_writes=False, trusted_reads=config.trusted, teams=list(config.teams),
                        actions=specs)
    return LoadedIntegration(manifest=manifest, actions=actions, client=client)


def _same_client(client: McpClient, env: IntegrationEnv) -> McpClient:
    # the session was opened by the loader to list the tools; Registry.start reuses it
    return client


def check_names(configs: Sequence[McpServerConfig], reserved: Iterable[str]) -> None:
    taken = set(reserved)
    seen: set[str] = set()
    for config in configs:
        if config.name in taken:
            raise ManifestError(
                f"MCP server name {config.name!r} is taken by another integration; choose another")
        if config.name in seen:
            raise ManifestError(f"two MCP servers are named {config.name!r}")
        seen.add(config.name)


async def load_mcp_integrations(configs: Sequence[McpServerConfig], *,
                                reserved: Iterable[str] | None = None) -> list[LoadedIntegration]:
    """Connects to each server, lists its tools and builds its integration in memory.

    The sessions stay open for the process (see ``client.py``); close them with
    ``Registry.aclose`` (or each client's ``aclose``). On any failure the sessions opened so
    far are closed and ManifestError names the server.
    """
    check_names(configs, builtin_integration_names() if reserved is None else reserved)
    loaded: list[LoadedIntegration] = []
    try:
        for config in configs:
            client = McpClient(config)
            try:
                tools = await client.list_tools()
                loaded.append(build_integration(config, client, tools))
            except BaseException:
                await client.aclose()
                raise
    except IntegrationError as err:
        await _close_all(loaded)
        raise ManifestError(f"cannot load MCP integrations: {err}") from None
    except BaseException:
        await _close_all(loaded)
        raise
    for item in loaded:
        log.info("MCP server %r: %d tools", item.manifest.name, len(item.manifest.actions))
    return loaded


async def _close_all(loaded: Iterable[LoadedIntegration]) -> None:
    for item in loaded:
        if isinstance(item.client, McpClient):
            await item.client.aclose()


async def add_mcp_integrations(registry: Registry, configs: Sequence[McpServerConfig]) -> None:
    """What ``build_app`` calls between ``discover`` and ``registry.start``."""
    if not configs:
        return
    # checked before connecting: a third-party integration may have taken a name too
    reserved = builtin_integration_names() | set(registry.names)
    for item in await load_mcp_integrations(configs, reserved=reserved):
        registry.add(item)
