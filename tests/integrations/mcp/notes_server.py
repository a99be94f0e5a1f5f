"""A small MCP server written with the mcp SDK (``MCPServer``, formerly FastMCP): a notebook.

Run as ``python notes_server.py`` it speaks MCP over stdio; ``build_server()`` is also served
over streamable HTTP by the tests. Its tools cover each annotation → effect mapping, a
structured and a text-only answer, an error result, a slow tool and a crash.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

# the tests start this server with NOTES_OWNER set and check that it arrived
OWNER_ENV = "NOTES_OWNER"
# a file each note added or deleted is appended to, so it outlives the process (optional)
LEDGER_ENV = "NOTES_LEDGER"
# a file holding "stall" or "drop": the next add or delete happens, then the server never
# answers it (stall) or exits at once (drop); the file is removed, so it happens once
INTERRUPT_ENV = "NOTES_INTERRUPT_FILE"


def _record(line: str) -> None:
    ledger = os.environ.get(LEDGER_ENV)
    if ledger:
        with open(ledger, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def _take_interruption() -> str:
    """The interruption asked for, if any, taken (the file removed) so it happens once."""
    path = os.environ.get(INTERRUPT_ENV)
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as held:
        mode = held.read().strip()
    os.remove(path)
    return mode


async def _maybe_interrupt() -> None:
    mode = _take_interruption()
    if not mode:
        return
    if mode == "drop":
        os._exit(4)
    await asyncio.sleep(3600)


def build_server() -> MCPServer:
    server = MCPServer("notes", log_level="CRITICAL")
    notes: dict[int, str] = {}

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def list_notes(contains: str = "") -> dict[str, Any]:
        """List the notes whose text contains a word."""
        found = [{"id": k, "text": v} for k, v in sorted(notes.items()) if contains in v]
        return {"notes": found, "owner": os.environ.get(OWNER_ENV, "")}

    def add_note(text: str) -> dict[str, Any]:
        note_id = len(notes) + 1
        notes[note_id] = text
        _record(f"add {note_id} {text}")
        return {"id": note_id, "text": text}

    @server.tool(name="Add-Note", annotations=ToolAnnotations(read_only_hint=False,
                                                             destructive_hint=False))
    async def add_note_tool(text: str) -> dict[str, Any]:
        """Add a note."""
        added = add_note(text)
        await _maybe_interrupt()
        return added

    @server.tool(annotations=ToolAnnotations(destructive_hint=True))
    async def delete_note(note_id: int) -> dict[str, Any]:
        """Delete a note for good."""
        if note_id not in notes:
            raise ToolError(f"no note {note_id}\n")
        del notes[note_id]
        _record(f"delete {note_id}")
        await _maybe_interrupt()
        return {"deleted": note_id}

    @server.tool(structured_output=False)
    def shout(text: str) -> str:
        """Say it louder (no annotations, text only)."""
        return text.upper() + "!"

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    async def slow(seconds: float) -> str:
        """Take a while."""
        await asyncio.sleep(seconds)
        return "done"

    @server.tool()
    async def slow_add(text: str, seconds: float) -> dict[str, Any]:
        """Add a note, then take a while to answer (a write that happens, then times out)."""
        added = add_note(text)
        await asyncio.sleep(seconds)
        return added

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def server_pid() -> dict[str, int]:
        """The server's process id."""
        return {"pid": os.getpid()}

    @server.tool()
    def crash() -> str:
        """Exit the server process abruptly."""
        os._exit(3)

    return server


if __name__ == "__main__":
    build_server().run("stdio")
