"""A tool's answer as a JSON-serialisable dict, the shape every Deputy action returns."""

from __future__ import annotations

from typing import Any

import mcp_types

from bot.sdk import PermanentError

MAX_ERROR_TEXT = 500
# binary content (images, audio) would bloat the audit log and the plan thread
MAX_INLINE_DATA = 2000


def result_to_dict(server: str, tool: str, result: mcp_types.CallToolResult) -> dict[str, Any]:
    """``structuredContent`` when the tool gave one, else its text and content blocks.

    A result flagged ``isError`` raises PermanentError carrying the tool's own text: that is
    how tools report a failure they understood (bad input, missing record).
    """
    text = "\n".join(b.text for b in result.content if isinstance(b, mcp_types.TextContent)).strip()
    if result.is_error:
        detail = text[:MAX_ERROR_TEXT] or "the tool reported an error without a message"
        raise PermanentError(f"{server}.{tool} failed: {detail}")
    if result.structured_content is not None:
        structured = result.structured_content
        return structured if isinstance(structured, dict) else {"result": structured}
    return {"text": text, "content": [_block(b) for b in result.content]}


def _block(block: mcp_types.ContentBlock) -> dict[str, Any]:
    data: dict[str, Any] = block.model_dump(mode="json", by_alias=True, exclude_none=True)
    payload = data.get("data")
    if isinstance(payload, str) and len(payload) > MAX_INLINE_DATA:
        data["data"] = f"<{len(payload)} base64 characters omitted>"
    return data
