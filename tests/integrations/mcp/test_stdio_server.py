"""Contract tests against the notes MCP server run as a stdio subprocess.

Calls go through ``call_action`` — the executor's own path (schema check, timeout, retries)
— so what is tested is what a run does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.domain import Actor, Effect
from bot.errors import InvalidArguments, OutcomeUnknown, PermanentError
from bot.execution.calls import call_action
from bot.registry import CallContext, IntegrationEnv, ManifestError, Registry
from bot.registry.registry import LoadedIntegration
from bot.settings import load_settings
from integrations.mcp.config import McpServerConfig
from integrations.mcp.loader import add_mcp_integrations, load_mcp_integrations
from tests.integrations.mcp.conftest import OWNER_SECRET, mcp_config, process_alive, stdio_config

CTX = CallContext(idempotency_key="deputy-run1-s1", actor=Actor(platform="shell", team_id="t", user_id="u"))
SETTINGS = load_settings(step_attempts=2, retry_base_seconds=0, step_timeout_seconds=20)

# starting a Python MCP server costs a second or two: the tests share one (in one event loop)
# where they do not depend on its state, and start their own where they kill or close it
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def notes() -> AsyncIterator[LoadedIntegration]:
    [loaded] = await load_mcp_integrations([stdio_config()])
    try:
        yield loaded
    finally:
        await loaded.client.aclose()


def registry_of(*loaded: LoadedIntegration) -> Registry:
    registry = Registry([])
    for item in loaded:
        registry.add(item)
    registry.start(IntegrationEnv(settings=SETTINGS, database=None))
    return registry


async def call(registry: Registry, action: str, **args: Any) -> dict[str, Any]:
    return await call_action(registry, SETTINGS, action, args, CTX)


async def test_the_servers_tools_become_actions_with_their_effects(notes: LoadedIntegration) -> None:
    manifest = notes.manifest
    effects = {a.name: a.effect for a in manifest.actions}
    assert effects == {
        "list_notes": Effect.READ, "add_note": Effect.WRITE, "delete_note": Effect.DESTRUCTIVE,
        "shout": Effect.WRITE, "slow": Effect.READ, "slow_add": Effect.WRITE,
        "server_pid": Effect.READ, "crash": Effect.WRITE}
    add = manifest.action("add_note")
    assert add is not None and add.args["required"] == ["text"]
    assert add.description == "Add a note."
    assert manifest.idempotent_writes is False


async def test_calls_return_structured_content_or_text(notes: LoadedIntegration) -> None:
    registry = registry_of(notes)
    assert await call(registry, "notes.add_note", text="buy milk") == {"id": 1, "text": "buy milk"}
    listed = await call(registry, "notes.list_notes", contains="milk")
    # the env from the config reached the server process
    assert listed == {"notes": [{"id": 1, "text": "buy milk"}], "owner": OWNER_SECRET}
    assert await call(registry, "notes.shout", text="hey") == {
        "text": "HEY!", "content": [{"type": "text", "text": "HEY!"}]}


async def test_arguments_are_checked_against_the_tools_schema_before_the_call(
        notes: LoadedIntegration) -> None:
    with pytest.raises(InvalidArguments, match="notes.add_note"):
        await call(registry_of(notes), "notes.add_note", text=42)


async def test_a_tool_error_fails_the_step_with_the_tools_trimmed_text(notes: LoadedIntegration) -> None:
    with pytest.raises(PermanentError) as caught:
        await call(registry_of(notes), "notes.delete_note", note_id=9)
    message = str(caught.value)
    assert message.startswith("notes.delete_note failed: ") and message.endswith("no note 9")


async def test_a_crashed_server_fails_the_write_the_next_call_reconnects_and_close_ends_it() -> None:
    [loaded] = await load_mcp_integrations([stdio_config(name="crashy")])
    registry = registry_of(loaded)
    killed = (await call(registry, "crashy.server_pid"))["pid"]
    os.kill(killed, signal.SIGKILL)
    # a write finds the session dead before sending anything, so it reconnects and runs
    assert await call(registry, "crashy.add_note", text="after the kill") == {
        "id": 1, "text": "after the kill"}
    first = (await call(registry, "crashy.server_pid"))["pid"]
    assert first != killed and not process_alive(killed)
    # crash is a write (no annotations): interrupted, it is not retried but reported
    with pytest.raises(OutcomeUnknown, match="crashy.crash: lost the connection .* not sent again"):
        await call(registry, "crashy.crash")
    assert not process_alive(first)
    # the executor's step timeout may cancel the call that reconnects: the server it was
    # starting keeps starting, and the retry uses it instead of spawning another
    before = _python_children()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await call(registry, "crashy.server_pid")
    second = (await call(registry, "crashy.server_pid"))["pid"]
    assert second != first and _python_children() - before == {second}
    await registry.aclose()
    assert not process_alive(second)


async def test_a_server_that_cannot_start_stops_loading_and_closes_the_others(
        notes_stdio: Callable[..., McpServerConfig]) -> None:
    pids_before = _python_children()
    broken = mcp_config(name="broken", command="/nonexistent/mcp-server",
                             env={"TOKEN": "s3cret-broken"})
    with pytest.raises(ManifestError) as caught:
        await load_mcp_integrations([notes_stdio(), broken])
    message = str(caught.value)
    assert "MCP server 'broken'" in message and "cannot be started" in message
    assert "s3cret" not in message
    assert _python_children() == pids_before


async def test_add_puts_the_servers_next_to_the_others_and_refuses_a_taken_name(
        notes: LoadedIntegration) -> None:
    registry = Registry([notes])  # stands in for a third-party integration named "notes"
    before = _python_children()
    with pytest.raises(ManifestError, match="'notes' is taken by another integration"):
        await add_mcp_integrations(registry, [stdio_config()])
    assert _python_children() == before
    await add_mcp_integrations(registry, [])
    assert registry.names == ["notes"]


async def test_a_server_that_exits_at_once_is_reported_by_name(
        notes_stdio: Callable[..., McpServerConfig]) -> None:
    quitter = notes_stdio(name="quitter", args=["-c", "import sys; sys.exit(1)"])
    with pytest.raises(ManifestError, match="MCP server 'quitter'"):
        await load_mcp_integrations([quitter])


def _python_children() -> set[int]:
    """Live child processes of this test process running our interpreter."""
    from pathlib import Path

    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and sys.executable.encode() in cmdline and b" Z " not in stat.encode():
            found.add(int(entry.name))
    return found

