"""The console's Monitors page: each monitor offers the buttons its status allows and only to
someone its rule lets decide (the owner of a read-only monitor; the policy's approvers where
it names some); a button pressed anyway, or by a forged form, changes nothing."""

from __future__ import annotations

import html
import re

import aiohttp

from bot.console.signin import local_person
from bot.domain import PlanDraft, Step, Where
from bot.scheduling import service
from bot.scheduling.model import Schedule
from tests.adapters.slack import wire
from tests.console.conftest import ANNA, Served
from tests.console.test_console import csrf_of, get, post

# Anna's teammate in the same workspace: sees the team's monitors, owns none of them
BOSS = local_person(f"slack:{wire.TEAM}:U0BOSS")
OVERDUE = PlanDraft(summary="overdue invoices",
                    steps=[Step(id="s1", action="local.list_invoices", args={"status": "overdue"})])
CHANNEL = Where(platform="slack", channel_id="C0FINANCE", team=ANNA.team_key)


async def proposed(served: Served, name: str = "Overdue invoices") -> int:
    row = await service.create_monitor(served.app, ANNA, name, OVERDUE, Schedule.every(3600), CHANNEL)
    assert row.id is not None
    return row.id


def buttons(page: str, monitor: int) -> list[str]:
    return re.findall(rf'aria-label="([A-Za-z ]+) monitor {monitor}"', page)


async def press(http: aiohttp.ClientSession, served: Served, monitor: int, verb: str) -> tuple[int, str]:
    _, page = await get(http, served.url + "/console/monitors")
    return await post(http, f"{served.url}/console/monitors/{monitor}", {"csrf": csrf_of(page), "verb": verb})


async def test_the_owner_approves_pauses_resumes_and_sees_only_what_the_status_allows(
        served: Served, http: aiohttp.ClientSession) -> None:
    monitor = await proposed(served)
    await served.signed_in(http, ANNA)
    status, page = await get(http, served.url + "/console/monitors")
    assert status == 200 and buttons(page, monitor) == ["Approve", "Reject"]
    status, page = await press(http, served, monitor, "approve")
    assert status == 200 and f"Monitor {monitor} is on" in page
    assert buttons(page, monitor) == ["Pause", "Run now"]
    _, page = await press(http, served, monitor, "pause")
    assert f"Monitor {monitor} is paused" in page and buttons(page, monitor) == ["Resume", "Run now"]
    _, page = await press(http, served, monitor, "resume")
    assert f"Monitor {monitor} is running again" in page and buttons(page, monitor) == ["Pause", "Run now"]


async def test_a_teammate_is_offered_nothing_and_a_forged_press_changes_nothing(
        served: Served, http: aiohttp.ClientSession) -> None:
    monitor = await proposed(served)
    await served.signed_in(http, BOSS)
    status, page = await get(http, served.url + "/console/monitors")
    assert status == 200 and "Overdue invoices" in page  # the team's monitor is listed
    assert buttons(page, monitor) == [] and "You can't change it: only its owner can." in html.unescape(page)
    status, page = await post(http, f"{served.url}/console/monitors/{monitor}",
                              {"csrf": csrf_of(page), "verb": "approve"})
    assert f"You can't approve monitor {monitor}: only its owner can." in html.unescape(page)
    assert (await service.list_for_channel(served.app, ANNA.team_key, "slack", "C0FINANCE"))[0].monitor.status \
        == "proposed"


async def test_a_press_the_status_does_not_allow_is_refused_and_deleted_monitors_are_not_listed(
        served: Served, http: aiohttp.ClientSession) -> None:
    kept, gone = await proposed(served), await proposed(served, "Old digest")
    await service.delete(served.app, gone, ANNA)
    await served.signed_in(http, ANNA)
    _, page = await get(http, served.url + "/console/monitors")
    assert "Old digest" not in page and buttons(page, gone) == []
    _, page = await press(http, served, kept, "pause")  # still proposed: nothing to pause
    assert f"Monitor {kept} is proposed; nothing was changed." in page
    status, _ = await press(http, served, kept, "delete")  # not a console action
    assert status == 403
