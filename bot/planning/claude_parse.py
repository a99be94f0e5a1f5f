"""Reading a Messages API answer: which tool the model called, with what, and at what cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anthropic.types import Message
from pydantic import ValidationError

from bot.domain import PlanDraft

USAGE_KEYS = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]
    error: str = ""  # why the call is unusable as sent (e.g. arguments that are not JSON)


@dataclass(frozen=True)
class ModelTurn:
    """One assistant message, reduced to what the planner acts on."""

    echo: Any  # what to send back in a repair round, in the backend's own shape
    calls: list[ToolCall]
    text: str
    stop_reason: str | None  # "max_tokens" when the answer was cut off, whatever the API
    usage: dict[str, int] = field(default_factory=dict)  # this call's tokens, USAGE_KEYS


def read_turn(message: Message) -> ModelTurn:
    echo: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    texts: list[str] = []
    for block in message.content:
        if block.type == "tool_use":
            # a model's broken tool JSON can come through as a string: a malformed call
            tool_input = block.input if isinstance(block.input, dict) else {}
            error = "" if isinstance(block.input, dict) else (
                f"the input of {block.name} must be one JSON object matching its schema")
            calls.append(ToolCall(block.id, block.name, tool_input, error=error))
            echo.append({"type": "tool_use", "id": block.id, "name": block.name, "input": tool_input})
        elif block.type == "text":
            texts.append(block.text)
            echo.append({"type": "text", "text": block.text})
        elif block.type == "thinking":
            # thinking blocks must go back unchanged, signature included
            echo.append({"type": "thinking", "thinking": block.thinking, "signature": block.signature})
        elif block.type == "redacted_thinking":
            echo.append({"type": "redacted_thinking", "data": block.data})
    return ModelTurn(echo=echo, calls=calls, text="\n".join(t for t in texts if t.strip()).strip(),
                     stop_reason=message.stop_reason, usage=message_usage(message))


def message_usage(message: Message) -> dict[str, int]:
    """One call's tokens (input is the uncached part, as the Messages API reports)."""
    usage = message.usage
    return {
        "input": usage.input_tokens,
        "output": usage.output_tokens,
        "cache_read": usage.cache_read_input_tokens or 0,
        "cache_write": usage.cache_creation_input_tokens or 0,
    }


def empty_usage() -> dict[str, int]:
    return {"calls": 0, **{k: 0 for k in USAGE_KEYS}}


def draft_from_input(tool_input: dict[str, Any], default_summary: str = "") -> PlanDraft | list[str]:
    """The plan the model submitted, or what is wrong with its shape. The compact form the
    prompt asks for leaves out step ids (a step is s<its position>) and, when the goal says
    what the plan does, the summary (``default_summary``, the goal in one line)."""
    steps = tool_input.get("steps", [])
    if isinstance(steps, list):
        steps = [{"id": f"s{n}", **step} if isinstance(step, dict) and "id" not in step else step
                 for n, step in enumerate(steps, start=1)]
    summary = tool_input.get("summary") or default_summary
    # which past runs it repeats (the card names them; ids not offered are dropped later)
    runs = [r for r in tool_input.get("runs_used") or [] if isinstance(r, int) and not isinstance(r, bool)]
    try:
        return PlanDraft.model_validate({"summary": summary, "steps": steps, "runs_used": runs})
    except ValidationError as err:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in err.errors()
        ]
