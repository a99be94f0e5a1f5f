"""Block Kit's building blocks and limits, shared by the renderer and the connect form.

Limits (Slack's reference): 50 blocks per message, 3000 characters per section text, 150 per
header, 75 per button label, 2000 per button value. ``escape`` keeps text from people, the
model and integrations from being read as mentions or links (render.py says why).
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 3000


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}
