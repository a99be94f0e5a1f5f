"""A fake Anthropic Messages API on 127.0.0.1, for the real ``anthropic`` SDK to talk to.

It answers ``POST /v1/messages`` with scripted replies in the API's exact shape (message id,
content blocks with ``tool_use`` id/name/input, ``stop_reason``, ``usage`` with the cache
fields) or with scripted errors (the API's error JSON, ``retry-after``, 529 overloaded).

It also plays the parts of the real service a planner depends on, so tests and the benchmark
measure what is really sent:

- **prompt caching**: the request prefix up to each ``cache_control`` breakpoint (tools,
  then system, then messages) is hashed (its blocks' content, not their markers); the first
  time it is written to the cache (``cache_creation_input_tokens``), later identical
  prefixes are read from it (``cache_read_input_tokens``); from each breakpoint the fake
  looks back up to 20 block boundaries for a prefix already cached, as the API does, so a
  conversation that moves its one breakpoint to the newest message each turn reads the
  turns before it; the longest prefix found is read and the rest up to the last breakpoint
  written; prefixes under the minimum cacheable length are not cached;
- **token counts** are estimated as one token per four characters of canonical JSON;
- **request checks** the real API makes: a key, in ``x-api-key`` or (as the installed SDK
  sends it) ``Authorization: Bearer`` (401 ``authentication_error`` "x-api-key header is
  required", or "invalid x-api-key" when the fake was given the key to expect), the ``anthropic-version`` header (400 "anthropic-version:
  header is required"), required fields, at most four ``cache_control`` breakpoints ("A maximum
  of 4 blocks with cache_control may be provided. Found N."), every ``tool_use`` answered by a
  ``tool_result`` in the next user turn, and (for models configured so) a 400 on a forced
  ``tool_choice``.

Every request is recorded (headers and raw body) so tests can scan what left the process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
import string
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

MIN_CACHEABLE_TOKENS = 1024
MAX_CACHE_BREAKPOINTS = 4
# how far back from a breakpoint the API looks for a cached prefix ("about 20 blocks")
CACHE_LOOKBACK_BLOCKS = 20
_ID_ALPHABET = string.ascii_letters + string.digits


def _random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def estimate_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return max(1, math.ceil(len(text) / 4))


@dataclass
class Reply:
    """A scripted assistant message. ``content`` holds API content blocks."""

    content: list[dict[str, Any]]
    stop_reason: str = "end_turn"
    delay: float = 0.0  # seconds to wait before answering (a model that times out)


@dataclass
class ApiError:
    """A scripted error answer, e.g. 529 ``overloaded_error`` with ``retry-after``."""

    status: int
    type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def tool_use(name: str, tool_input: dict[str, Any], text: str = "") -> Reply:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    blocks.append({"type": "tool_use", "id": _random_id("toolu_"), "name": name, "input": tool_input})
    return Reply(content=blocks, stop_reason="tool_use")


def text_reply(text: str) -> Reply:
    return Reply(content=[{"type": "text", "text": text}], stop_reason="end_turn")


def slow(seconds: float) -> Reply:
    """An answer that comes after ``seconds``: past the client's timeout, it never arrives."""
    return Reply(content=[{"type": "text", "text": "too late"}], delay=seconds)


def malformed_tool_use(name: str, raw_input: str) -> Reply:
    """A ``tool_use`` whose ``input`` is not a JSON object: what a model's broken tool JSON
    looks like on the wire when the service passes it through as a string."""
    return Reply(content=[{"type": "tool_use", "id": _random_id("toolu_"), "name": name, "input": raw_input}],
                 stop_reason="tool_use")


def overloaded(retry_after: str | None = None) -> ApiError:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return ApiError(529, "overloaded_error", "Overloaded", headers)


def rate_limited(retry_after: str) -> ApiError:
    return ApiError(
        429,
        "rate_limit_error",
        "This request would exceed your organization's rate limit.",
        {"retry-after": retry_after},
    )


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


Responder = Callable[[dict[str, Any]], Reply | ApiError]


class FakeAnthropic:
    """Start with ``async with FakeAnthropic() as api:``; point a client at ``api.base_url``."""

    def __init__(
        self,
        *,
        responder: Responder | None = None,
        rejects_forced_tool_choice: Iterable[str] = ("claude-sonnet-5-5", "claude-opus-5-5"),
        min_cacheable_tokens: int = MIN_CACHEABLE_TOKENS,
        api_key: str | None = None,
    ) -> None:
        # the key to expect in x-api-key; None accepts any key (a header is still required)
        self._api_key = api_key
        self.requests: list[RecordedRequest] = []
        self.usages: list[dict[str, int]] = []
        self._script: deque[Reply | ApiError] = deque()
        self._responder = responder
        self._rejects_forced = tuple(rejects_forced_tool_choice)
        self._min_cacheable = min_cacheable_tokens
        self._cache: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def queue(self, *items: Reply | ApiError) -> None:
        self._script.extend(items)

    @property
    def pending(self) -> int:
        return len(self._script)

    # ---- server lifecycle ------------------------------------------------------------
    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._messages)

    async def __aenter__(self) -> Self:
        app = web.Application()
        self._routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def open_connections(self) -> int:
        """TCP connections a client holds open to this fake now (kept alive between calls)."""
        return len(self._runner.server.connections) if self._runner and self._runner.server else 0

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the endpoint ----------------------------------------------------------------
    async def _messages(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(
            RecordedRequest(request.path, {k.lower(): v for k, v in request.headers.items()}, raw)
        )
        # the key goes in x-api-key (the documented header) or, as anthropic 2.x SDKs send it,
        # in Authorization: Bearer; a request with neither is refused
        bearer = request.headers.get("authorization", "")
        key = request.headers.get("x-api-key") or (
            bearer.removeprefix("Bearer ").strip() if bearer.startswith("Bearer ") else ""
        )
        if not key:
            return self._error(
                ApiError(401, "authentication_error", "x-api-key header is required")
            )
        if self._api_key is not None and key != self._api_key:
            return self._error(ApiError(401, "authentication_error", "invalid x-api-key"))
        if not request.headers.get("anthropic-version"):
            return self._error(
                ApiError(400, "invalid_request_error", "anthropic-version: header is required")
            )
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self._error(ApiError(400, "invalid_request_error", "Request body is not JSON."))
        return await self._answer(body)

    async def _answer(self, body: dict[str, Any]) -> web.Response:
        """A checked, authenticated request body (``model`` included): the scripted answer."""
        problem = self._check(body)
        if problem:
            return self._error(ApiError(400, "invalid_request_error", problem))
        if self._script:
            answer = self._script.popleft()
        elif self._responder is not None:
            answer = self._responder(body)
        else:
            return self._error(ApiError(500, "api_error", "fake: no scripted reply left"))
        if isinstance(answer, ApiError):
            return self._error(answer)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return self._message(body, answer)

    def _check(self, body: dict[str, Any]) -> str:
        for key in ("model", "max_tokens", "messages"):
            if key not in body:
                return f"{key}: Field required"
        marked = sum(1 for s in self._segments(body) if isinstance(s, dict) and "cache_control" in s)
        if marked > MAX_CACHE_BREAKPOINTS:
            return (
                f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {marked}."
            )
        choice = body.get("tool_choice") or {}
        if choice.get("type") in ("any", "tool") and body["model"] in self._rejects_forced:
            return f"tool_choice: forced tool use is not supported with model {body['model']}."
        messages = body["messages"]
        for index, message in enumerate(messages):
            content = message.get("content")
            if message.get("role") != "assistant" or not isinstance(content, list):
                continue
            ids = {b["id"] for b in content if b.get("type") == "tool_use"}
            following = messages[index + 1]["content"] if index + 1 < len(messages) else []
            answered = {
                b.get("tool_use_id") for b in following if isinstance(b, dict) and b.get("type") == "tool_result"
            } if isinstance(following, list) else set()
            if ids - answered:
                return (
                    f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(sorted(ids - answered))}"
                )
        return ""

    @staticmethod
    def _segments(body: dict[str, Any]) -> list[Any]:
        """The request in cache order: tools, then system, then each message's blocks."""
        segments: list[Any] = list(body.get("tools", []))
        system = body.get("system", [])
        segments += [system] if isinstance(system, str) else list(system)
        for message in body["messages"]:
            content = message.get("content", [])
            segments += [content] if isinstance(content, str) else list(content)
        return segments

    @staticmethod
    def _prefix_keys(body: dict[str, Any], segments: list[Any]) -> list[str]:
        """The cache key of every prefix ``segments[:i + 1]``: the model and the blocks'
        content, without their ``cache_control`` markers (moving a breakpoint to a later
        block, as a conversation does each turn, leaves the earlier blocks' key as it was)."""
        digest = hashlib.sha256(body["model"].encode())
        keys = []
        for segment in segments:
            plain = {k: v for k, v in segment.items() if k != "cache_control"} if isinstance(segment, dict) else segment
            text = json.dumps(plain, sort_keys=True).encode()
            digest.update(len(text).to_bytes(8, "big") + text)
            keys.append(digest.copy().hexdigest())
        return keys

    def _usage(self, body: dict[str, Any], reply: Reply) -> dict[str, int]:
        segments = self._segments(body)
        running, totals = 0, []
        for segment in segments:
            running += estimate_tokens(segment)
            totals.append(running)
        total = totals[-1] if totals else 0
        marked = [i for i, s in enumerate(segments) if isinstance(s, dict) and "cache_control" in s]
        # as the API does: from each breakpoint it looks back up to CACHE_LOOKBACK_BLOCKS block
        # boundaries for a prefix already cached and reads the longest; the rest up to the last
        # breakpoint is written, and every breakpoint's prefix is cached
        read = written = 0
        keys = self._prefix_keys(body, segments)
        cacheable = [i for i in marked if totals[i] >= self._min_cacheable]
        if cacheable:
            read = max((totals[j] for i in cacheable for j in range(max(0, i - CACHE_LOOKBACK_BLOCKS), i + 1)
                        if keys[j] in self._cache and totals[j] >= self._min_cacheable), default=0)
            written = totals[cacheable[-1]] - read
            self._cache.update(keys[i] for i in cacheable)
        return {
            "input_tokens": total - read - written,
            "output_tokens": estimate_tokens(reply.content),
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }

    def _message(self, body: dict[str, Any], reply: Reply) -> web.Response:
        usage = self._usage(body, reply)
        self.usages.append(usage)
        payload = {
            "id": _random_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": reply.content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        return web.json_response(payload, headers={"request-id": _random_id("req_")})

    @staticmethod
    def _error(err: ApiError) -> web.Response:
        request_id = _random_id("req_")
        payload = {
            "type": "error",
            "error": {"type": err.type, "message": err.message},
            "request_id": request_id,
        }
        return web.json_response(
            payload, status=err.status, headers={"request-id": request_id, **err.headers}
        )
