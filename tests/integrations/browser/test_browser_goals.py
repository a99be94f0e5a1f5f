"""Goals that act through a real browser on a portal with no API: reads answer from the
page, writes wait for approval and leave an after-screenshot, the allow-list holds, and a
page that tells the assistant what to do gets nothing done without approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Deputy
from bot.chat.replies import CardState
from bot.domain import PlanDraft, Step
from tests.core.doubles import ScriptedPlanner
from tests.integrations.browser.site import Portal
from tests.support.chat import Chat

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


def screenshots(settings_home: Path) -> list[Path]:
    return sorted((settings_home / "browser").rglob("*.png"))


def assert_png(path: Path) -> None:
    assert path.is_file() and path.read_bytes()[:8] == PNG and path.stat().st_size > 1000


async def test_a_read_goal_answers_from_the_orders_table(deputy: Deputy, portal: Portal) -> None:
    deputy.planner = ScriptedPlanner(PlanDraft(summary="Read the open orders", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/orders",
                                                   "selector": "#orders"})]))
    out = await Chat(deputy, user="Dev").say("which orders are open on the supplier portal?")
    assert "✓ Run 1: Done" in out  # a read runs without approval
    # the table's rows reach the thread, cell by cell
    for number, customer, amount, status in [("PO-1042", "Globex", "980.50", "open"),
                                             ("PO-1043", "Initech", "4,400.00", "open")]:
        assert number in out and customer in out and amount in out and status in out
    shots = screenshots(deputy.settings.home)
    assert len(shots) == 1 and shots[0].parent.name == "run1"
    assert_png(shots[0])


async def test_a_form_is_filled_only_after_approval_and_shown_after(
        deputy: Deputy, portal: Portal) -> None:
    deputy.planner = ScriptedPlanner(PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/new-order"}),
        Step(id="s2", action="browser.submit", args={
            "url": f"{portal.base}/new-order", "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"},
                       {"selector": "#product", "value": "nuts"},
                       {"selector": "#quantity", "value": "40"}]})]))
    chat = Chat(deputy, user="Dev")
    out = await chat.say("order 40 nuts for Globex on the portal")
    # the card names the page and the element each step acts on, and waits
    assert chat.card.state is CardState.AWAITING
    assert f"{portal.base}/new-order" in out and "#place" in out
    assert portal.placed == []  # nothing was submitted before approval
    before = screenshots(deputy.settings.home)
    assert len(before) == 1 and before[0].parent.name.startswith("preview")  # the page as it is
    assert_png(before[0])

    done = await chat.say("approve")
    assert "✓ Run 1: Done" in done
    assert portal.placed == [{"customer": "Globex", "product": "nuts", "quantity": "40"}]
    assert "Order PO-2001 confirmed" in done  # the confirmation page's text
    after = [p for p in screenshots(deputy.settings.home) if p.parent.name == "run1"
             and "after" in p.name]
    assert len(after) == 1
    assert_png(after[0])
    assert str(after[0]) in done  # the shell shows the file's path


async def test_a_site_outside_the_allow_list_is_refused(deputy: Deputy, portal: Portal) -> None:
    deputy.planner = ScriptedPlanner(PlanDraft(summary="Read a page on another host", steps=[
        Step(id="s1", action="browser.read", args={"url": portal.base.replace(
            "127.0.0.1", "localhost") + "/orders"})]))
    out = await Chat(deputy, user="Dev").say("read the orders at localhost")
    assert "refused localhost: it is not on the allow-list" in out
    assert "DEPUTY_BROWSER_ALLOWED_HOSTS" in out
    assert "PO-1042" not in out and screenshots(deputy.settings.home) == []


async def test_a_listed_page_cannot_redirect_the_browser_off_the_list(
        deputy: Deputy, portal: Portal) -> None:
    deputy.planner = ScriptedPlanner(PlanDraft(summary="Read a page that redirects", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/away"})]))
    out = await Chat(deputy, user="Dev").say("read the orders through the redirect")
    assert "refused localhost: it is not on the allow-list" in out
    assert "PO-1042" not in out and screenshots(deputy.settings.home) == []


async def test_a_page_that_injects_instructions_gets_nothing_done_unapproved(
        deputy: Deputy, portal: Portal) -> None:
    # as if the planner had been taken in: it reads the notice, then plans the click it asks for
    deputy.planner = ScriptedPlanner(PlanDraft(summary="Read the notice and act on it", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/notice"}),
        Step(id="s2", action="browser.click", args={"url": f"{portal.base}/admin",
                                                    "selector": "#wipe"})]))
    chat = Chat(deputy, user="Dev")
    await chat.say("what does the supplier notice say?")
    assert chat.card.state is CardState.AWAITING  # the click waits for a person
    assert portal.wiped == 0
    await chat.say("reject")
    assert portal.wiped == 0
