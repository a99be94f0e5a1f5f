"""The Modify modal: built from a Modify button's value, read back on view_submission.

The view's ``private_metadata`` (≤ 3000 characters) remembers which plan version and which
thread the edit belongs to; each input's ``initial_value`` comes back with the submitted
view, so only arguments a person actually changed become edits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack.blocks import Block, clip
from bot.chat.events import StepEdit

CALLBACK_ID = "deputy_modify"
MAX_INPUTS = 98  # a modal holds 100 blocks; one is the explanation
INPUT_ACTION = "value"


class BadSubmission(ValueError):
    """The submitted view is not one Deputy opened, or was tampered with."""


@dataclass(frozen=True)
class ModifyTarget:
    plan_id: int
    version: int
    channel_id: str
    thread_id: str | None


def build_modal(button_value: str, target: ModifyTarget) -> dict[str, Any]:
    try:
        data = json.loads(button_value)
        entries = [(int(n), str(k), str(v)) for n, k, v in data.get("e", [])]
    except (ValueError, TypeError, AttributeError) as err:
        raise BadSubmission("the Modify button carries no editable arguments") from err
    intro = f"Change the arguments of plan v{target.version}. Saving makes a new version that needs approval again."
    if data.get("more") or len(entries) > MAX_INPUTS:
        intro += " Some arguments are not shown here; ask for those in the thread."
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    for number, key, value in entries[:MAX_INPUTS]:
        blocks.append(
            {
                "type": "input",
                "block_id": clip(f"arg:{number}:{key}", 255),
                "label": {"type": "plain_text", "text": clip(f"Step {number} · {key}", 2000)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION,
                    "initial_value": clip(value, 3000),
                },
            }
        )
    if len(blocks) == 1:
        blocks[0]["text"]["text"] = "This plan has no arguments that can be edited here."
    metadata = {
        "plan": target.plan_id,
        "version": target.version,
        "channel": target.channel_id,
        "thread": target.thread_id,
    }
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": f"Modify plan v{target.version}"[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }
    if len(blocks) > 1:
        view["submit"] = {"type": "plain_text", "text": "Save as new version"[:24]}
    return view


def read_submission(view: dict[str, Any]) -> tuple[ModifyTarget, tuple[StepEdit, ...]]:
    try:
        meta = json.loads(view["private_metadata"])
        target = ModifyTarget(
            plan_id=int(meta["plan"]),
            version=int(meta["version"]),
            channel_id=str(meta["channel"]),
            thread_id=None if meta.get("thread") is None else str(meta["thread"]),
        )
        values = view["state"]["values"]
        blocks = view["blocks"]
    except (KeyError, TypeError, ValueError) as err:
        raise BadSubmission("not a Deputy modify form") from err
    edits: list[StepEdit] = []
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if block.get("type") != "input" or not block_id.startswith("arg:"):
            continue
        _, number, key = block_id.split(":", 2)
        before = block.get("element", {}).get("initial_value", "")
        after = values.get(block_id, {}).get(INPUT_ACTION, {}).get("value")
        if after is not None and after != before and number.isdigit():
            edits.append(StepEdit(step=int(number), key=key, value=after))
    return target, tuple(edits)
