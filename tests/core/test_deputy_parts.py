"""The app's parts are fixed when it is built: reassigning one fails loudly (issue 18)."""

from __future__ import annotations

import pytest

from bot.app import Deputy
from tests.core.conftest import Build
from tests.core.doubles import ScriptedPlanner
from tests.support.builder import FakeClock

PARTS = ["settings", "database", "registry", "policy", "planner", "vault", "clock"]


@pytest.mark.parametrize("part", PARTS)
async def test_a_part_cannot_be_reassigned(deputy: Deputy, part: str) -> None:
    before = getattr(deputy, part)
    with pytest.raises(AttributeError):
        setattr(deputy, part, before)


async def test_parts_passed_at_build_time_are_the_apps(build: Build, fake_clock: FakeClock) -> None:
    planner = ScriptedPlanner()
    app = await build(planner=planner)
    assert app.planner is planner
    moved = fake_clock.advance(hours=1)
    assert app.clock() == moved
