"""The Procfile's `web` (`deputy serve --no-plan`, here without a worker or a scheduler, which
freeze it too) and `planner` (`deputy planner run`) freeze what start-up left out of the
garbage collector's sight (``gc.freeze``, bot/execution/worker.py ``settle_heap``) before they
take work: a full collection then walks only what came since (docs/benchmarks.md, "The
Procfile split"). Each is started as an operator would; a sitecustomize.py that the test puts
on the process's PYTHONPATH (nothing of Deputy changes, nothing in it reads a test setting)
writes ``gc.get_freeze_count()`` to a file as the process exits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.slack import wire
from tests.fakes.slack_api import FakeSlackApi
from tests.support.deputy_process import deputy_serve

pytestmark = pytest.mark.slow  # `deputy` processes

PROBE = """
import atexit, gc, os

def _write_freeze_count(path=os.environ.get("FREEZE_COUNT_FILE")):
    with open(path, "w") as out:
        out.write(str(gc.get_freeze_count()))

if os.environ.get("FREEZE_COUNT_FILE"):
    atexit.register(_write_freeze_count)
"""

WEB = ("serve", "--no-plan", "--no-worker", "--no-scheduler")
PLANNER = ("planner", "run")


@pytest.mark.parametrize("command", [WEB, PLANNER], ids=["web", "planner"])
async def test_start_up_s_heap_is_frozen_before_the_process_takes_work(
        command: tuple[str, ...], slack_api: FakeSlackApi, tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "sitecustomize.py").write_text(PROBE)
    said = tmp_path / "frozen.txt"
    env = {"SLACK_BOT_TOKEN": "xoxb-0000-test-token", "SLACK_SIGNING_SECRET": wire.SECRET,
           "DEPUTY_SLACK_API_URL": slack_api.base_url, "PYTHONPATH": str(sites), "FREEZE_COUNT_FILE": str(said)}
    async with deputy_serve(tmp_path / "home", env, command=command) as process:
        # healthy: start-up is over (the freeze comes before the health port or the front door)
        assert await process.stop() == 0, await process.output()
    # start-up makes ~100 MB of objects that live as long as the process; unfrozen, none are
    assert int(said.read_text()) > 100_000, await process.output()
