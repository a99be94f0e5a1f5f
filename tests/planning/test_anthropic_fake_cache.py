"""The fake Messages API caches a conversation as the real one does: a client that moves its
one breakpoint to the newest message each turn reads the turns before it (the API looks back
up to about 20 blocks from a breakpoint for a prefix already cached, and the key is the
blocks' content, not where the markers sit); a turn that adds more blocks than that writes
them again unless the previous breakpoint is kept. The planning benchmark's step-by-step loop
is priced by these figures."""

from __future__ import annotations

from typing import Any

import anthropic

from tests.fakes.anthropic_api import FakeAnthropic, estimate_tokens, text_reply

MODEL = "claude-sonnet-5-5"
MARK = {"type": "ephemeral"}
LONG = "A long and stable instruction. " * 200  # ~1,550 tokens: over the minimum cacheable length


def _turn(n: int, calls: int) -> list[dict[str, Any]]:
    """An assistant turn of ``calls`` text blocks and the user's answer of as many blocks."""
    return [{"role": "assistant", "content": [{"type": "text", "text": f"call {n}.{i}"} for i in range(calls)]},
            {"role": "user", "content": [{"type": "text", "text": f"result {n}.{i} " * 20} for i in range(calls)]}]


def _marked(messages: list[dict[str, Any]], *positions: int) -> list[dict[str, Any]]:
    out = [dict(m, content=[dict(b) for b in m["content"]]) for m in messages]
    for p in positions:
        out[p]["content"][-1]["cache_control"] = MARK
    return out


async def _send(api: FakeAnthropic, messages: list[dict[str, Any]]) -> dict[str, int]:
    api.queue(text_reply("ok"))
    async with anthropic.AsyncAnthropic(api_key="k", base_url=api.base_url, max_retries=0) as client:
        await client.messages.create(model=MODEL, max_tokens=64, messages=messages,  # type: ignore[arg-type]
                                     system=[{"type": "text", "text": LONG, "cache_control": MARK}])
    return api.usages[-1]


def _tokens(messages: list[dict[str, Any]]) -> int:
    return sum(estimate_tokens(b) for m in messages for b in m["content"])


async def test_moving_the_one_breakpoint_to_the_newest_message_reads_the_turns_before() -> None:
    system = estimate_tokens({"type": "text", "text": LONG, "cache_control": MARK})
    async with FakeAnthropic() as api:
        history = [{"role": "user", "content": [{"type": "text", "text": "the goal"}]}]
        first = await _send(api, _marked(history, -1))
        assert first["cache_read_input_tokens"] == 0
        history += _turn(1, 2)
        second = await _send(api, _marked(history, -1))
        # the prefix up to the goal, cached by the first call although its marker has moved
        assert second["cache_read_input_tokens"] == system + estimate_tokens({"type": "text", "text": "the goal"})
        history += _turn(2, 2)
        sent = _marked(history, -1)
        third = await _send(api, sent)
        assert third["cache_read_input_tokens"] == system + _tokens(sent[:3])  # every turn before it
        assert third["cache_creation_input_tokens"] == _tokens(sent[3:])  # only what is new


async def test_a_turn_of_more_than_twenty_blocks_is_read_only_with_the_previous_breakpoint_kept() -> None:
    system = estimate_tokens({"type": "text", "text": LONG, "cache_control": MARK})
    async with FakeAnthropic() as api:
        history = [{"role": "user", "content": [{"type": "text", "text": "the goal"}]}]
        await _send(api, _marked(history, -1))
        history += _turn(1, 12)  # 24 blocks: the goal's breakpoint is out of reach of the newest
        far = await _send(api, _marked(history, -1))
        assert far["cache_read_input_tokens"] == system
        history += _turn(2, 12)
        assert (await _send(api, _marked(history, -1)))["cache_read_input_tokens"] == system  # out of reach again
        history += _turn(3, 12)
        sent = _marked(history, -3, -1)
        kept = await _send(api, sent)
        assert kept["cache_read_input_tokens"] == system + _tokens(sent[:5])
        assert kept["cache_creation_input_tokens"] == _tokens(sent[5:])
