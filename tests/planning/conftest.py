"""The fake Anthropic API and a client of it, for the planning tests that talk to Claude
(tests/planning/test_claude.py, test_replan_keep.py; a module with other needs defines its own
``api``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest

from tests.fakes.anthropic_api import FakeAnthropic

API_KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture
async def api() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(api_key=API_KEY) as fake:
        yield fake


@pytest.fixture
async def client(api: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(api_key=API_KEY, base_url=api.base_url, max_retries=2, timeout=5) as c:
        yield c
