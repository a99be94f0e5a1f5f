"""The Procfile's background processes lower their own CPU priority (DEPUTY_BACKGROUND_NICE):
`planner` and `worker` run at niceness 10 by default, `web` stays where it was started, so on
a shared machine the kernel runs an ack before another slice of planning. What an operator
checks with ``ps -o ni``: the niceness of each running process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adapters.slack import wire
from tests.fakes.slack_api import FakeSlackApi
from tests.support.deputy_process import deputy_serve

pytestmark = pytest.mark.slow  # `deputy` processes

WEB = ("serve", "--no-plan", "--no-worker", "--no-scheduler")


def niceness(pid: int) -> int:
    """Field 19 of /proc/<pid>/stat, as ``ps -o ni`` shows it."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[16])


def env_for(slack_api: FakeSlackApi, **more: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-0000-test-token", "SLACK_SIGNING_SECRET": wire.SECRET,
            "DEPUTY_SLACK_API_URL": slack_api.base_url, **more}


async def test_the_planner_and_the_worker_run_below_web(slack_api: FakeSlackApi, tmp_path: Path) -> None:
    home, env = tmp_path / "home", env_for(slack_api)
    started_at = os.nice(0)  # the test's own niceness: what the processes start with
    async with deputy_serve(home, env, command=WEB) as web, \
            deputy_serve(home, env, command=("planner", "run")) as planner, \
            deputy_serve(home, env, command=("worker",)) as worker:
        assert niceness(web.process.pid) == started_at
        assert niceness(planner.process.pid) == max(started_at, 10)
        assert niceness(worker.process.pid) == max(started_at, 10)
        assert "deputy planner runs at niceness" in await planner.output()


async def test_zero_keeps_the_priority_they_were_started_with(slack_api: FakeSlackApi, tmp_path: Path) -> None:
    home, env = tmp_path / "home", env_for(slack_api, DEPUTY_BACKGROUND_NICE="0")
    started_at = os.nice(0)
    async with deputy_serve(home, env, command=("planner", "run")) as planner, \
            deputy_serve(home, env, command=("worker",)) as worker:
        assert niceness(planner.process.pid) == started_at
        assert niceness(worker.process.pid) == started_at
