"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for the real ``openai`` SDK.

``POST /v1/chat/completions`` answers scripted replies in the API's exact shape (``id``
``chatcmpl-…``, ``object: chat.completion``, one choice whose assistant message carries
``tool_calls`` with ``function.arguments`` as a JSON *string*, ``finish_reason``,
``usage`` with ``prompt_tokens_details``), scripted errors in the API's error JSON, or a
delay longer than the client's timeout.

It refuses what the real API refuses: no ``Authorization: Bearer`` key when one is required
(401), a wrong key (401 ``invalid_api_key``), a missing ``model`` or ``messages`` (400), an
unknown model (404 ``model_not_found``), an unknown request argument (400), ``tool_choice``
without ``tools``, a tool that is not a ``function`` tool or has a bad name, an assistant
message with ``tool_calls`` not followed by a ``tool`` message for each id, a ``tool``
message that answers nothing. Streaming is not spoken here: ``stream: true`` is a 400, so
a test proves the planner keeps it off.

Every request is recorded (headers and raw body).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import string
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_ID_ALPHABET = string.ascii_letters + string.digits
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KNOWN_ARGUMENTS = {
    "model", "messages", "tools", "tool_choice", "max_tokens", "max_completion_tokens", "stream",
    "temperature", "top_p", "n", "stop", "seed", "parallel_tool_calls", "response_format", "user",
    "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "stream_options",
}


def _random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def estimate_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, math.ceil(len(text) / 4))


@dataclass
class Completion:
    """A scripted assistant message: text, tool calls (arguments as the raw string sent)."""

    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, arguments)
    finish_reason: str = "stop"
    delay: float = 0.0


@dataclass
class ApiError:
    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None


def tool_call(name: str, arguments: dict[str, Any] | str, text: str | None = None) -> Completion:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Completion(content=text, tool_calls=[(name, raw)], finish_reason="tool_calls")


def text_reply(text: str) -> Completion:
    return Completion(content=text, finish_reason="stop")


def slow(seconds: float) -> Completion:
    return Completion(content="too late", delay=seconds)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


Responder = Callable[[dict[str, Any]], "Completion | ApiError"]


class FakeOpenAI:
    """``async with FakeOpenAI(models=["llama3.1:8b"]) as api:``; point a client at
    ``api.base_url`` (it ends in ``/v1``, as Ollama's and vLLM's do)."""

    def __init__(self, *, models: tuple[str, ...] = ("llama3.1:8b",), api_key: str | None = None,
                 responder: Responder | None = None) -> None:
        self._models = models
        # answers when the script is empty (a model that reads what it is sent)
        self._responder = responder
        # the key to expect; None: a local server that needs none (any key or none is fine)
        self._api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.usages: list[dict[str, Any]] = []
        self._script: deque[Completion | ApiError] = deque()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def queue(self, *items: Completion | ApiError) -> None:
        self._script.extend(items)

    @property
    def pending(self) -> int:
        return len(self._script)

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"
        return self

    def open_connections(self) -> int:
        """TCP connections a client holds open to this fake now (kept alive between calls)."""
        return len(self._runner.server.connections) if self._runner and self._runner.server else 0

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()}, raw))
        auth = request.headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if self._api_key is not None and not key:
            return _error(ApiError(401, "You didn't provide an API key. You need to provide your API key in "
                                   "an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."))
        if self._api_key is not None and key != self._api_key:
            return _error(ApiError(401, "Incorrect API key provided.", code="invalid_api_key"))
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _error(ApiError(400, "We could not parse the JSON body of your request."))
        problem = _check(body)
        if problem:
            return _error(ApiError(400, problem))
        if body["model"] not in self._models:
            return _error(ApiError(404, f"The model `{body['model']}` does not exist or you do not have "
                                   "access to it.", code="model_not_found"))
        if self._script:
            answer = self._script.popleft()
        elif self._responder is not None:
            answer = self._responder(body)
        else:
            return _error(ApiError(500, "fake: no scripted reply left", type="server_error"))
        if isinstance(answer, ApiError):
            return _error(answer)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return self._completion(body, answer)

    def _completion(self, body: dict[str, Any], reply: Completion) -> web.Response:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": _random_id("call_"), "type": "function", "function": {"name": n, "arguments": a}}
                for n, a in reply.tool_calls
            ]
        prompt = estimate_tokens(body["messages"]) + estimate_tokens(body.get("tools", []))
        completion = estimate_tokens(message)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                 "prompt_tokens_details": {"cached_tokens": 0}}
        self.usages.append(usage)
        return web.json_response({
            "id": _random_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}],
            "usage": usage,
        })


def _check(body: dict[str, Any]) -> str:
    unknown = sorted(set(body) - KNOWN_ARGUMENTS)
    if unknown:
        return f"Unrecognized request argument supplied: {unknown[0]}"
    if not body.get("model"):
        return "you must provide a model parameter"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "Missing required parameter: 'messages'."
    if body.get("stream"):
        return "fake: streaming is not spoken by this fake (the planner must send stream: false)"
    tools = body.get("tools")
    if "tool_choice" in body and not tools:
        return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
    for index, tool in enumerate(tools or []):
        function = tool.get("function") or {}
        if tool.get("type") != "function" or not _TOOL_NAME.match(str(function.get("name", ""))):
            return f"Invalid 'tools[{index}]': expected a function tool with a name matching ^[a-zA-Z0-9_-]{{1,64}}$."
        if (function.get("parameters") or {}).get("type") != "object":
            return f"Invalid schema for function '{function['name']}': schema must be a JSON Schema of 'type: \"object\"'."
    return _check_tool_turns(body["messages"])


def _check_tool_turns(messages: list[dict[str, Any]]) -> str:
    open_ids: set[str] = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") not in open_ids:
                return (f"Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                        f"message with 'tool_calls'. (messages[{index}])")
            open_ids.discard(message["tool_call_id"])
            continue
        if open_ids:
            return ("An assistant message with 'tool_calls' must be followed by tool messages responding to "
                    "each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                    + ", ".join(sorted(open_ids)))
        if role == "assistant":
            open_ids = {c["id"] for c in message.get("tool_calls") or []}
        elif role not in ("system", "user", "developer"):
            return f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'tool' and 'developer'."
    if open_ids:
        return ("An assistant message with 'tool_calls' must be followed by tool messages responding to each "
                "'tool_call_id'. The following tool_call_ids did not have response messages: "
                + ", ".join(sorted(open_ids)))
    return ""


def _error(err: ApiError) -> web.Response:
    return web.json_response(
        {"error": {"message": err.message, "type": err.type, "param": None, "code": err.code}}, status=err.status
    )
