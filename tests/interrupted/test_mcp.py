"""Interrupted writes to an MCP server (MCP has no idempotency keys), over stdio and over
streamable HTTP, with the notes server written with the mcp SDK. Over stdio the server
itself acts and then never answers (stall) or exits (drop); over HTTP the interrupting proxy
withholds or cuts the answer. Every write tool happens at most once and is "outcome unknown";
the notes server's ledger file counts the effects, so they outlive a server that exited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.registry import Registry
from integrations.mcp.loader import load_mcp_integrations
from tests.integrations.mcp.conftest import HttpNotes, notes_http, stdio_config
from tests.integrations.mcp.notes_server import INTERRUPT_ENV, LEDGER_ENV
from tests.interrupted.contract import (
    MODES,
    assert_unknown_and_at_most_once,
    call,
    context,
    contract_settings,
)
from tests.interrupted.proxy import InterruptingProxy, Mode

__all__ = ["notes_http"]

# the notes server's writes: a write tool and a destructive one
WRITES = ["add_note", "delete_note"]
# the notes server's timeout: a stalled call waits this long for its answer. It also bounds
# listing the tools as the registry loads, which took over 1.5 s once under the whole
# suite's load (the in-process HTTP server shares the test's loop): set-up error, not a result
TIMEOUT = 5.0


@dataclass
class World:
    name: str
    registry: Registry
    ledger: Path
    interrupt: Path  # stdio: the server reads the mode from here
    mode: Mode
    proxy: InterruptingProxy | None = None

    def arm(self) -> None:
        if self.proxy is not None:
            self.proxy.armed = True
        else:
            self.interrupt.write_text(self.mode)

    def effects(self) -> list[str]:
        return self.ledger.read_text().splitlines() if self.ledger.exists() else []


async def _registry(config: object) -> Registry:
    [loaded] = await load_mcp_integrations([config])  # type: ignore[list-item]
    registry = Registry([])
    registry.add(loaded)
    return registry


@pytest.fixture(params=MODES)
async def over_stdio(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    ledger, interrupt = tmp_path / "ledger", tmp_path / "interrupt"
    config = stdio_config(timeout=TIMEOUT, env={LEDGER_ENV: str(ledger), INTERRUPT_ENV: str(interrupt)})
    registry = await _registry(config)
    yield World("notes", registry, ledger, interrupt, request.param)
    await registry.aclose()


@pytest.fixture(params=MODES)
async def over_http(request: pytest.FixtureRequest, tmp_path: Path, notes_http: HttpNotes,
                    monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    ledger = tmp_path / "ledger"
    monkeypatch.setenv(LEDGER_ENV, str(ledger))  # the HTTP server runs in this process
    upstream = urlsplit(notes_http.url)
    proxy = InterruptingProxy(int(upstream.port or 80),
                              lambda chunk: b'"tools/call"' in chunk and (
                                  b'"name":"Add-Note"' in chunk or b'"name":"delete_note"' in chunk),
                              request.param)
    proxy.armed = False
    await proxy.start()
    config = notes_http.config(timeout=TIMEOUT, url=notes_http.url.replace(upstream.netloc,
                                                                       f"127.0.0.1:{proxy.port}"))
    registry = await _registry(config)
    yield World("notes_http", registry, ledger, tmp_path / "unused", request.param, proxy)
    await registry.aclose()
    await proxy.stop()


async def _interrupted_write(world: World, tool: str) -> None:
    settings = contract_settings()
    args: dict[str, object] = {"text": "call Ben"}
    if tool == "delete_note":
        made = await call(world.registry, settings, f"{world.name}.add_note", {"text": "old"},
                          context(key="deputy-run7-s1"))
        assert made.result is not None
        args = {"note_id": made.result["id"]}
    before = len(world.effects())
    world.arm()
    outcome = await call(world.registry, settings, f"{world.name}.{tool}", args,
                         context(key="deputy-run7-s2"))
    if world.proxy is not None:
        assert world.proxy.interrupted == 1, "the call never reached the server"
    effects = world.effects()[before:]
    assert_unknown_and_at_most_once(outcome, len(effects), f"{world.name}.{tool}")
    assert len(effects) == 1, "the server never acted: the interruption came too early"


@pytest.mark.parametrize("tool", WRITES)
async def test_over_stdio(over_stdio: World, tool: str) -> None:
    await _interrupted_write(over_stdio, tool)


@pytest.mark.parametrize("tool", WRITES)
async def test_over_streamable_http(over_http: World, tool: str) -> None:
    await _interrupted_write(over_http, tool)
