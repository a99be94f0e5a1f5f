"""The Modify form: which step arguments can be edited, and how edits come back.

The plan card's embed lists each step's literal arguments as ``key = value`` lines in a
code block. The form is rebuilt from the clicked message, and a submission is compared
with that same message, so neither needs memory in this process: both survive a restart.
Discord modals hold at most five inputs, so the form offers one input per step (the first
five); later steps can still be changed with ``modify N key=value`` in the thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.chat.events import StepEdit

from .components import modal_inputs

MODAL_PREFIX = "deputy-modify"
MODAL_PATTERN = re.compile(rf"{MODAL_PREFIX}:(?P<plan>\d+):(?P<version>\d+)")
MAX_INPUTS = 5
ARG_VALUE_LIMIT = 300  # keeps a step's field under Discord's 1024-character cap
_FIELD_NAME = re.compile(r"^(?P<number>\d+)\. (?P<action>\S+)")
_CODE_BLOCK = re.compile(r"```\n?(?P<body>.*?)```", re.DOTALL)
_ARG_LINE = re.compile(r"^(?P<key>[A-Za-z_][\w.\-]*) = (?P<value>.*)$")


@dataclass(frozen=True)
class EditableStep:
    number: int
    action: str
    args: dict[str, str]  # literal arguments as shown, key → text


def has_reference(value: Any) -> bool:
    if isinstance(value, dict):
        return "$ref" in value or any(has_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(has_reference(v) for v in value)
    return False


def arg_text(value: Any) -> str:
    """One line for a literal argument: plain strings as they are, anything else as JSON."""
    if isinstance(value, str) and "\n" not in value:
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= ARG_VALUE_LIMIT else text[: ARG_VALUE_LIMIT - 1] + "…"


def arg_lines(args: Mapping[str, Any], shown: Mapping[str, Any]) -> list[str]:
    """Literal arguments as ``key = value``; references as ``key ← …`` (not editable)."""
    lines = []
    for key, value in args.items():
        if has_reference(value):
            lines.append(f"{key} ← {arg_text(shown.get(key, 'an earlier step'))}")
        else:
            lines.append(f"{key} = {arg_text(value)}")
    return lines


def editable_steps(embeds: Sequence[discord.Embed]) -> list[EditableStep]:
    """Read the steps back from a plan card's embed fields."""
    steps = []
    for embed in embeds[:1]:
        for field in embed.fields:
            head = _FIELD_NAME.match(field.name or "")
            if head is None:
                continue
            block = _CODE_BLOCK.search(field.value or "")
            args = parse_arg_lines(block.group("body") if block else "")
            steps.append(EditableStep(int(head["number"]), head["action"], args))
    return steps


def parse_arg_lines(text: str) -> dict[str, str]:
    args = {}
    for line in text.splitlines():
        match = _ARG_LINE.match(line.strip())
        if match:
            args[match["key"]] = match["value"].strip()
    return args


def modify_modal(plan_id: int, version: int, steps: Iterable[EditableStep]) -> discord.ui.Modal:
    modal = discord.ui.Modal(
        title=f"Modify plan v{version}"[:45], custom_id=f"{MODAL_PREFIX}:{plan_id}:{version}"
    )
    for step in list(steps)[:MAX_INPUTS]:
        modal.add_item(
            discord.ui.TextInput(
                label=f"Step {step.number}: {step.action}"[:45],
                style=discord.TextStyle.paragraph,
                custom_id=f"step:{step.number}",
                default="\n".join(f"{k} = {v}" for k, v in step.args.items()) or None,
                placeholder="key = value, one per line",
                required=False,
                max_length=4000,
            )
        )
    # Submissions are read statelessly from the interaction (see module doc); a stopped
    # modal is not kept in discord.py's store, so open forms cost no memory here.
    modal.stop()
    return modal


def submitted_values(components: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Step number → text typed, from a MODAL_SUBMIT's components (rows or labels)."""
    return {int(custom_id[5:]): value for custom_id, value in modal_inputs(components)
            if custom_id.startswith("step:") and custom_id[5:].isdigit()}


def edits_between(
    steps: Iterable[EditableStep], submitted: Mapping[int, str]
) -> tuple[StepEdit, ...]:
    """The arguments whose text changed or that were added, in step order."""
    before = {step.number: step.args for step in steps}
    edits = []
    for number in sorted(submitted):
        old = before.get(number, {})
        for key, value in parse_arg_lines(submitted[number]).items():
            if old.get(key) != value:
                edits.append(StepEdit(step=number, key=key, value=value))
    return tuple(edits)
