"""Contract tests against the notes MCP server over streamable HTTP on 127.0.0.1, behind a
bearer-token check: the configured headers are sent, and a refusal names no secret."""

from __future__ import annotations

import asyncio
import signal
import socket

import pytest

from bot.domain import Actor, Effect
from bot.errors import OutcomeUnknown, PermanentError, TransientError
from bot.execution.calls import call_action
from bot.registry import CallContext, ManifestError, Registry
from bot.settings import load_settings
from integrations.mcp.client import McpClient
from integrations.mcp.loader import load_mcp_integrations
from tests.integrations.mcp.conftest import HTTP_TOKEN, HttpNotes, mcp_config, serving_notes


async def test_tools_over_http_become_actions_and_calls_work(notes_http: HttpNotes) -> None:
    [loaded] = await load_mcp_integrations([notes_http.config()])
    try:
        assert loaded.manifest.name == "notes_http"
        assert loaded.manifest.action("delete_note").effect is Effect.DESTRUCTIVE  # type: ignore[union-attr]
        client: McpClient = loaded.client
        assert await client.call_tool("Add-Note", {"text": "call Bob"}) == {"id": 1, "text": "call Bob"}
        listed = await client.call_tool("list_notes", {})
        assert listed["notes"] == [{"id": 1, "text": "call Bob"}]
        with pytest.raises(PermanentError, match="no note 7"):
            await client.call_tool("delete_note", {"note_id": 7})
    finally:
        await loaded.client.aclose()


async def test_a_slow_tool_times_out_as_a_transient_error(notes_http: HttpNotes) -> None:
    # timeouts here leave room for an ordinary call on a busy machine (the server shares the
    # test's event loop): only the slow tool may run past them
    client = McpClient(notes_http.config(timeout=1.5))
    try:
        with pytest.raises(TransientError, match=r"notes_http.slow: .* within 1.5 s"):
            await client.call_tool("slow", {"seconds": 4})
        # the session survives a timeout: the next call is answered
        assert (await client.call_tool("shout", {"text": "ok"}))["text"] == "OK!"
    finally:
        await client.aclose()


async def test_an_interrupted_read_is_retried_and_an_interrupted_write_is_not(
        notes_http: HttpNotes) -> None:
    [loaded] = await load_mcp_integrations([notes_http.config(timeout=1.5)])
    registry = Registry([])
    registry.add(loaded)
    settings = load_settings(step_attempts=2, retry_base_seconds=0)
    ctx = CallContext(idempotency_key="deputy-run1-s1",
                      actor=Actor(platform="shell", team_id="t", user_id="u"))
    try:
        # slow is read-only: timed out twice, then given up on
        with pytest.raises(PermanentError, match=r"within 1.5 s \(gave up after 2 tries\)"):
            await call_action(registry, settings, "notes_http.slow", {"seconds": 3}, ctx)
        # slow_add has no annotations, so it is a write: it adds the note and then answers too
        # late; the step fails at once instead of risking the write twice
        with pytest.raises(OutcomeUnknown, match="slow_add: .* not sent again"):
            await call_action(registry, settings, "notes_http.slow_add",
                              {"text": "once", "seconds": 3}, ctx)
        listed = await call_action(registry, settings, "notes_http.list_notes", {}, ctx)
        assert [n["text"] for n in listed["notes"]] == ["once"]
        # with the server gone, a write is never sent: that is transient, retried, given up
        await notes_http.stop()
        with pytest.raises(PermanentError, match=r"cannot be reached .*gave up after 2 tries"):
            await call_action(registry, settings, "notes_http.add_note", {"text": "x"}, ctx)
    finally:
        await registry.aclose()


async def test_a_wrong_token_is_refused_without_showing_any_token(notes_http: HttpNotes) -> None:
    wrong = "tok-wrong-0000"
    with pytest.raises(ManifestError) as caught:
        await load_mcp_integrations([notes_http.config(token=wrong)])
    message = str(caught.value)
    assert "MCP server 'notes_http'" in message and "refused Deputy's credentials (401)" in message
    assert wrong not in message and HTTP_TOKEN not in message and "Bearer" not in message


async def test_an_unreachable_server_stops_loading_by_name() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = mcp_config(name="gone", transport="http", url=f"http://127.0.0.1:{port}/mcp?key=s3cret",
                             connect_timeout_seconds=5)
    with pytest.raises(ManifestError) as caught:
        await load_mcp_integrations([config])
    message = str(caught.value)
    assert f"MCP server 'gone' (http://127.0.0.1:{port}/mcp) cannot be reached" in message
    assert "s3cret" not in message


async def test_a_server_that_went_away_is_transient(notes_http: HttpNotes) -> None:
    client = McpClient(notes_http.config())
    try:
        assert (await client.call_tool("shout", {"text": "a"}))["text"] == "A!"
        await notes_http.stop()
        with pytest.raises(TransientError, match="notes_http.shout: lost the connection"):
            await client.call_tool("shout", {"text": "b"})
        # the retry reconnects, and finds nobody there: still transient, never a hang
        with pytest.raises(TransientError, match="cannot be reached"):
            await client.call_tool("shout", {"text": "c"})
    finally:
        await client.aclose()


async def test_a_wrong_url_is_a_clear_permanent_failure(notes_http: HttpNotes) -> None:
    config = notes_http.config(url=notes_http.url.replace("/mcp", "/elsewhere"))
    with pytest.raises(ManifestError, match="has no MCP endpoint at that URL"):
        await load_mcp_integrations([config])


def test_the_server_leaves_the_process_s_ctrl_c_as_it_found_it() -> None:
    """Started in one run of the event loop and stopped in another, as pytest-asyncio sets up
    and tears down an async fixture, the in-loop server leaves SIGINT's handler as it found
    it (Python's own). uvicorn's own server put back the handler of the finished first run:
    for the rest of the session a SIGINT (execnet sends its worker one when the worker is
    slow to stop) raised KeyboardInterrupt wherever the process was, a gc callback at the end
    of a CI run, and no later ``asyncio.run`` in the process installed its own handler."""
    found = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        notes = serving_notes()
        with asyncio.Runner() as runner:
            runner.run(notes.__aenter__())
            runner.run(notes.__aexit__(None, None, None))
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, found)
