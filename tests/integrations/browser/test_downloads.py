"""The download action: a file lands in the run's own folder after approval; a file over
DEPUTY_BROWSER_DOWNLOAD_MAX_BYTES is refused and nothing is kept; a site cannot choose
where the file goes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.chat.replies import CardState
from bot.domain import PlanDraft, Step
from tests.core.doubles import ScriptedPlanner
from tests.integrations.browser.site import SMALL_CSV, Portal
from tests.support.chat import Chat

pytestmark = pytest.mark.slow


def download_plan(portal: Portal, selector: str) -> PlanDraft:
    return PlanDraft(summary="Download the statement", steps=[
        Step(id="s1", action="browser.download", args={"url": f"{portal.base}/files",
                                                       "selector": selector})])


def downloaded(deputy: Deputy) -> list[Path]:
    return sorted(p for p in (deputy.settings.home / "browser").rglob("downloads/*") if p.is_file())


async def test_a_download_waits_for_approval_then_lands_in_the_runs_folder(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(download_plan(portal, "#small"))
    chat = Chat(deputy, user="Dev")
    out = await chat.say("download the orders statement from the portal")
    assert chat.card.state is CardState.AWAITING and "#small" in out  # a write: it waits
    assert downloaded(deputy) == []
    done = await chat.say("approve")
    assert "✓ Run 1: Done" in done
    files = downloaded(deputy)
    assert [p.relative_to(deputy.settings.home) for p in files] == [
        Path("browser/run1/downloads/orders.csv")]
    assert files[0].read_bytes() == SMALL_CSV
    assert f"downloaded orders.csv ({len(SMALL_CSV)} bytes)" in done and str(files[0]) in done


async def test_a_file_over_the_size_limit_is_refused_and_nothing_kept(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(download_plan(portal, "#big"))
    chat = Chat(deputy, user="Dev")
    await chat.say("download the archive from the portal")
    out = await chat.say("approve")
    assert "refused to download" in out and "archive.zip" in out, out
    assert "it is 3.0 MB, over the limit of 1.0 MB (DEPUTY_BROWSER_DOWNLOAD_MAX_BYTES)" in out
    assert "nothing was saved" in out and "may or may not" not in out
    assert downloaded(deputy) == []


async def test_the_site_cannot_choose_where_the_file_goes(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(download_plan(portal, "#sneaky"))
    chat = Chat(deputy, user="Dev")
    await chat.say("download the sneaky file")
    assert "✓ Run 1: Done" in await chat.say("approve")
    [saved] = downloaded(deputy)
    assert saved.parent == deputy.settings.home / "browser" / "run1" / "downloads"
    assert saved.read_bytes() == b"hello" and ".." not in saved.name, saved.name


async def test_a_download_broken_off_fails_at_once_and_keeps_nothing(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(download_plan(portal, "#broken"))
    chat = Chat(deputy, user="Dev")
    await chat.say("download the statement")
    started = time.monotonic()
    out = await chat.say("approve")
    assert "/files/broken could not be fetched" in out and "nothing was saved" in out, out
    assert time.monotonic() - started < 18  # not the 20 s step limit (with room for a loaded machine)
    assert downloaded(deputy) == []
