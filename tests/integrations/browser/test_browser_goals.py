"""Goals that act through a real browser on a portal with no API: reads answer from the
page, writes wait for approval and leave an after-screenshot, the allow-list holds, and a
page that tells the assistant what to do gets nothing done without approval."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Deputy
from bot.chat.port import MessageRef
from bot.chat.replies import CardState, PlanCard, Reply, RunResult
from bot.domain import PlanDraft, Step, Where
from bot.registry import discover
from bot.settings import Settings
from bot.store.database import Database
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.integrations.browser.site import Portal
from tests.support.chat import Chat
from tests.support.paths import REPO_ROOT
from tests.test_readme_tour import _found

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


def screenshots(settings_home: Path) -> list[Path]:
    return sorted((settings_home / "browser").rglob("*.png"))


def assert_png(path: Path) -> None:
    assert path.is_file() and path.read_bytes()[:8] == PNG and path.stat().st_size > 1000


async def test_a_read_goal_answers_from_the_orders_table(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Read the open orders", steps=[
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
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Order 40 nuts for Globex", steps=[
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


def recording(chat: Chat) -> list[Reply]:
    """Every reply posted (not updated) to the chat, as the adapters receive it."""
    posted: list[Reply] = []
    post = chat.port.post

    async def record(where: Where, reply: Reply) -> MessageRef:
        posted.append(reply)
        return await post(where, reply)

    chat.port.post = record  # type: ignore[method-assign]
    return posted


async def test_the_screenshots_reach_the_thread_with_the_card_and_the_result(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/new-order"}),
        Step(id="s2", action="browser.submit", args={
            "url": f"{portal.base}/new-order", "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"}]})]))
    chat = Chat(deputy, user="Dev")
    posted = recording(chat)
    await chat.say("order nuts for Globex on the portal")
    [card] = [r for r in posted if isinstance(r, PlanCard)]
    home = deputy.settings.home / "browser"
    # the card, posted for approval, carries the page as it is (the adapters attach it)
    assert card.files == (str(home / "preview1" / "s1-page.png"),)
    await chat.say("approve")
    [result] = [r for r in posted if isinstance(r, RunResult)]
    assert result.files == (str(home / "run1" / "s1-page.png"), str(home / "run1" / "s2-after.png"))
    for path in result.files:
        assert_png(Path(path))


async def test_a_site_outside_the_allow_list_is_refused(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Read a page on another host", steps=[
        Step(id="s1", action="browser.read", args={"url": portal.base.replace(
            "127.0.0.1", "localhost") + "/orders"})]))
    out = await Chat(deputy, user="Dev").say("read the orders at localhost")
    assert "refused localhost: it is not on the allow-list" in out
    assert "DEPUTY_BROWSER_ALLOWED_HOSTS" in out
    assert "PO-1042" not in out and screenshots(deputy.settings.home) == []


async def test_a_listed_page_cannot_redirect_the_browser_off_the_list(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Read a page that redirects", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/away"})]))
    out = await Chat(deputy, user="Dev").say("read the orders through the redirect")
    assert "refused localhost: it is not on the allow-list" in out
    assert "PO-1042" not in out and screenshots(deputy.settings.home) == []


async def test_a_page_that_injects_instructions_gets_nothing_done_unapproved(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    # as if the planner had been taken in: it reads the notice, then plans the click it asks for
    planner.script(PlanDraft(summary="Read the notice and act on it", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/notice"}),
        Step(id="s2", action="browser.click", args={"url": f"{portal.base}/admin",
                                                    "selector": "#wipe"})]))
    chat = Chat(deputy, user="Dev")
    out = await chat.say("what does the supplier notice say?")
    assert chat.card.state is CardState.AWAITING  # the click waits for a person
    assert portal.wiped == 0
    # the page was read (as the preview), and the card says the click still needs approval
    assert "[needs approval]" in out and "selector=#wipe" in out
    await chat.say("reject")
    assert portal.wiped == 0


def order_plan(url: str) -> PlanDraft:
    return PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.submit", args={
            "url": url, "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"},
                       {"selector": "#quantity", "value": "40"}]})])


async def test_an_interrupted_submit_is_outcome_unknown_and_never_sent_again(
        database: Database, settings: Settings, portal: Portal) -> None:
    quick = settings.model_copy(update={"step_timeout_seconds": 8.0})
    planner = ScriptedPlanner()
    app = await make_app(database, quick, discover(["browser"]), planner=planner)
    try:
        # a read first starts Chromium, so on a loaded machine the 8 s go to the order alone
        warm = PlanDraft(summary="Look at the orders", steps=[
            Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/orders"})])
        planner.script(warm, order_plan(f"{portal.base}/slow-order"))
        chat = Chat(app, user="Dev")
        assert "✓ Run 1: Done" in await chat.say("show me the orders page")
        await chat.say("order 40 nuts for Globex")
        out = await chat.say("approve")
    finally:
        await app.registry.aclose()
    assert "may or may not have happened" in out and "was not sent again" in out, out
    assert len(portal.placed) == 1, out  # the portal took it once; the step tries were not re-sent


async def test_a_missing_button_fails_saying_nothing_was_done(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    plan = order_plan(f"{portal.base}/orders")  # a page with no such form
    planner.script(plan)
    chat = Chat(deputy, user="Dev")
    await chat.say("order 40 nuts for Globex")
    out = await chat.say("approve")
    assert "no element matches '#customer'" in out and "nothing was done" in out
    assert "may or may not" not in out and portal.placed == []


def readme_card() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### A site with no API (`browser`)"):]
    return section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


async def test_the_readme_card_is_what_the_shell_prints(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    lines = [line.replace("https://portal.example.com", portal.base)
             .replace(".deputy/", f"{deputy.settings.home}/") for line in readme_card()]
    planner.script(PlanDraft(summary="Order 40 nuts for Globex", steps=[
        Step(id="s1", action="browser.screenshot", args={"url": f"{portal.base}/new-order"}),
        Step(id="s2", action="browser.submit", args={
            "url": f"{portal.base}/new-order", "button": "#place",
            "fields": [{"selector": "#customer", "value": "Globex"},
                       {"selector": "#product", "value": "nuts"},
                       {"selector": "#quantity", "value": "40"}]})]))
    chat = Chat(deputy, user="Dev")
    printed = (await chat.say("order 40 nuts for Globex on the portal")).splitlines()
    position = 0
    for line in lines:
        if line.startswith("you> "):
            printed += (await chat.say(line.removeprefix("you> "))).splitlines()
            continue
        found = _found(line, printed, position)
        assert found is not None, f"the README shows {line!r}; the shell printed:\n" + "\n".join(printed[position:])
        position = found + 1
    assert_png(deputy.settings.home / "browser" / "run1" / "s2-after.png")


async def test_a_page_without_a_table_is_answered_with_its_text(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    planner.script(PlanDraft(summary="Read the notice", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{portal.base}/notice"})]))
    out = await Chat(deputy, user="Dev").say("what does the supplier notice say?")
    assert "✓ Run 1: Done" in out and "Deliveries resume Monday." in out
    assert portal.wiped == 0
