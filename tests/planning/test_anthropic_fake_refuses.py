"""The fake Messages API refuses what the real one refuses; each rule is shown with the real
``anthropic`` SDK sending the bad request and raising the API's own error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_api import FakeAnthropic, text_reply

API_KEY = "sk-ant-test-strict-0000"
MODEL = "claude-haiku-4-5"


@pytest.fixture
async def api() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(api_key=API_KEY) as fake:
        yield fake


def _client(api: FakeAnthropic, **options: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=api.base_url, max_retries=0, timeout=5, **options)


async def _ask(client: anthropic.AsyncAnthropic, **extra: Any) -> anthropic.types.Message:
    async with client:
        return await client.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=[{"role": "user", "content": "hello"}],
            **extra,
        )


def _error_of(err: anthropic.APIStatusError) -> tuple[str, str]:
    """(type, message) of the API's error body ``{"type": "error", "error": {...}}``."""
    body = err.body
    assert isinstance(body, dict) and body["type"] == "error" and body["request_id"]
    return body["error"]["type"], body["error"]["message"]


async def test_a_request_without_the_api_key_is_refused(api: FakeAnthropic) -> None:
    api.queue(text_reply("never sent"))
    # the installed SDK sends the key as Authorization: Bearer; without it nothing is answered
    anonymous = _client(api, api_key=API_KEY, default_headers={"Authorization": anthropic.Omit()})
    with pytest.raises(anthropic.AuthenticationError) as caught:
        await _ask(anonymous)
    assert caught.value.status_code == 401
    assert "authorization" not in api.requests[-1].headers
    assert _error_of(caught.value) == ("authentication_error", "x-api-key header is required")
    with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
        await _ask(_client(api, api_key="sk-ant-someone-else"))
    assert api.pending == 1  # neither request was answered

    # the documented x-api-key header works as well as the SDK's Bearer form
    by_header = _client(
        api,
        api_key=API_KEY,
        default_headers={"Authorization": anthropic.Omit(), "x-api-key": API_KEY},
    )
    answer = await _ask(by_header)
    assert answer.content[0].type == "text" and api.pending == 0


async def test_a_request_without_anthropic_version_is_refused(api: FakeAnthropic) -> None:
    api.queue(text_reply("never sent"))
    client = _client(api, api_key=API_KEY, default_headers={"anthropic-version": anthropic.Omit()})
    with pytest.raises(anthropic.BadRequestError) as caught:
        await _ask(client)
    assert caught.value.status_code == 400
    assert _error_of(caught.value) == (
        "invalid_request_error",
        "anthropic-version: header is required",
    )
    assert "anthropic-version" not in api.requests[-1].headers
    # the SDK sends the header by default, and then the request is answered
    answer = await _ask(_client(api, api_key=API_KEY))
    assert answer.content[0].type == "text"
    assert api.requests[-1].headers["anthropic-version"]


async def test_more_than_four_cache_breakpoints_are_refused(api: FakeAnthropic) -> None:
    api.queue(text_reply("ok"))
    marked = {"type": "ephemeral"}
    system = [{"type": "text", "text": f"part {n}", "cache_control": marked} for n in range(3)]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "one", "cache_control": marked},
                {"type": "text", "text": "two", "cache_control": marked},
            ],
        }
    ]
    async with _client(api, api_key=API_KEY) as client:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await client.messages.create(
                model=MODEL, max_tokens=64, system=system, messages=messages  # type: ignore[arg-type]
            )
        assert _error_of(caught.value) == (
            "invalid_request_error",
            "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        )
        # four are allowed
        answer = await client.messages.create(
            model=MODEL, max_tokens=64, system=system[:2], messages=messages  # type: ignore[arg-type]
        )
    assert answer.stop_reason == "end_turn"
