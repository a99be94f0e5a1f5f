"""The planner on any OpenAI-compatible Chat Completions server (Ollama, vLLM, LM Studio,
llama.cpp's server, or OpenAI itself), through the ``openai`` SDK with ``base_url``.

Same contract as Claude (:class:`~bot.planning.model_planner.ModelPlanner`): the same
system prompt and catalogue, the same two tools written as ``function`` tools, one call per
goal, one repair round. There is no ``cache_control`` in this API: the stable prefix still
goes first (system message, then tools), byte-identical for every goal, so servers that
reuse a common prefix (llama.cpp, vLLM's prefix caching, OpenAI's automatic caching) can.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, cast

import openai

from bot.planning.claude_context import UserMessage
from bot.planning.claude_parse import ModelTurn, ToolCall
from bot.planning.model_planner import ModelFailure, ModelPlanner
from bot.registry import Manifest, Registry

log = logging.getLogger(__name__)

# local servers need no key, but the SDK insists on one; it is sent only to base_url
NO_KEY = "not-needed"


def build_openai_planner(settings: Any, registry: Registry) -> OpenAICompatiblePlanner:
    key = settings.planner_api_key
    client = openai.AsyncOpenAI(
        api_key=key.get_secret_value() if key is not None else NO_KEY,
        base_url=settings.planner_base_url or None,
        timeout=settings.planner_timeout_seconds,
        max_retries=settings.anthropic_max_retries,
    )
    return OpenAICompatiblePlanner(
        client, manifests=registry.manifests(), model=settings.planner_model,
        max_tokens=settings.anthropic_max_tokens,
    )


def function_tools(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Messages API tools (name, description, input_schema) as Chat Completions tools."""
    return [
        {"type": "function",
         "function": {"name": t["name"], "description": t["description"], "parameters": t["input_schema"]}}
        for t in tools
    ]


class OpenAICompatiblePlanner(ModelPlanner):
    name = "openai-compatible"
    backend = "openai-compatible"

    def __init__(self, client: openai.AsyncOpenAI, *, manifests: Sequence[Manifest], model: str,
                 max_tokens: int) -> None:
        super().__init__(manifests=manifests, model=model)
        self._client = client
        self._max_tokens = max_tokens
        self._tools = function_tools(self._prefix.tools)
        self._system = "\n\n".join(str(block["text"]) for block in self._prefix.system)

    async def aclose(self) -> None:
        await self._client.close()

    def _first_messages(self, user: UserMessage) -> list[dict[str, Any]]:
        # the team's part first: servers that reuse a prefix (llama.cpp, vLLM) reuse it too
        return [{"role": "system", "content": self._system}, {"role": "user", "content": user.text}]

    async def _call(self, messages: list[dict[str, Any]]) -> ModelTurn | ModelFailure:
        try:
            completion = await self._client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                tools=cast(Any, self._tools),
                # "auto" with a prompt that requires a tool: many local servers reject or ignore
                # "required", and every one of them accepts "auto"
                tool_choice="auto",
                max_tokens=self._max_tokens,
                stream=False,
            )
        except openai.APIStatusError as err:
            log.warning("openai-compatible server answered %s after retries", err.status_code)
            return ModelFailure(message=self._refused(err.status_code),
                                reason=f"{self.label} refused the request ({err.status_code})")
        except openai.APIConnectionError as err:  # includes the SDK's timeout
            log.warning("openai-compatible server unreachable after retries: %s", type(err).__name__)
            what = "timed out" if isinstance(err, openai.APITimeoutError) else "could not be reached"
            return ModelFailure(
                message=f"The planning model ({self.label}) {what}. Nothing was planned; "
                "please try again in a few minutes.",
                reason=f"{self.label} {what}",
            )
        if not completion.choices:
            return ModelFailure(message=f"The planning model ({self.label}) sent an empty answer. "
                                "Nothing was planned.", reason=f"{self.label} sent an empty answer")
        log.info("openai-compatible call model=%s finish=%s", completion.model, completion.choices[0].finish_reason)
        return read_completion(completion)

    def _repair(self, turn: ModelTurn, feedback: str, main: ToolCall | None) -> list[dict[str, Any]]:
        if not turn.calls:
            return [turn.echo, {"role": "user", "content": feedback}]
        # every tool call must be answered by a tool message with its id
        return [turn.echo] + [
            {"role": "tool", "tool_call_id": call.id,
             "content": feedback if main is not None and call.id == main.id
             else "Ignored: only one tool call is read per answer."}
            for call in turn.calls
        ]

    def _refused(self, status: int) -> str:
        if status in (401, 403):
            return (f"The planning server refused Deputy's key ({status}). An admin should check "
                    "DEPUTY_PLANNER_API_KEY. Nothing was planned.")
        if status == 404:
            return (f"The planning server does not know the model {self.model!r} (404). An admin "
                    "should check DEPUTY_PLANNER_MODEL. Nothing was planned.")
        return f"The planning server refused the request ({status}). Nothing was planned."


def read_completion(completion: Any) -> ModelTurn:
    """One Chat Completions answer, reduced to what the planner acts on."""
    choice = completion.choices[0]
    message = choice.message
    calls: list[ToolCall] = []
    echoed: list[dict[str, Any]] = []
    for raw in message.tool_calls or []:
        if getattr(raw, "type", "function") != "function":
            continue
        arguments = raw.function.arguments or ""
        echoed.append({"id": raw.id, "type": "function",
                       "function": {"name": raw.function.name, "arguments": arguments}})
        calls.append(_tool_call(raw.id, raw.function.name, arguments))
    echo: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
    if echoed:
        echo["tool_calls"] = echoed
    return ModelTurn(echo=echo, calls=calls, text=(message.content or "").strip(),
                     stop_reason="max_tokens" if choice.finish_reason == "length" else choice.finish_reason,
                     usage=completion_usage(completion))


def _tool_call(call_id: str, name: str, arguments: str) -> ToolCall:
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as err:
        return ToolCall(call_id, name, {}, error=f"the arguments of {name} are not valid JSON ({err.msg}); "
                        "send one JSON object")
    if not isinstance(parsed, dict):
        return ToolCall(call_id, name, {}, error=f"the arguments of {name} must be a JSON object")
    return ToolCall(call_id, name, parsed)


def completion_usage(completion: Any) -> dict[str, int]:
    """Tokens as the Messages API counts them: ``input`` is the part not read from a cache."""
    usage = completion.usage
    if usage is None:  # some local servers leave it out
        return {"input": 0, "output": 0, "cache_read": 0, "cache_write": 0}
    details = getattr(usage, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    return {"input": usage.prompt_tokens - cached, "output": usage.completion_tokens,
            "cache_read": cached, "cache_write": 0}
