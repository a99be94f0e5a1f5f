"""A site login is a connect flow: `connect browser` stores the requester's login for one
site in the vault; each of their runs signs in to that site in its fresh browser context,
and nobody else's run (nor any other site) gets it. The login never shows up in what
Deputy says, logs, keeps or names files after."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.adapters.shell.session import ShellSession, local_actor
from bot.app import Deputy
from bot.domain import PlanDraft, Step
from bot.registry import discover
from bot.settings import Settings
from bot.store.database import Database
from tests.core.conftest import make_app
from tests.core.doubles import ScriptedPlanner
from tests.integrations.browser.site import ACCOUNTS, Portal
from tests.support.chat import Chat

pytestmark = pytest.mark.slow

PASSWORD = ACCOUNTS["alice"]


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    async def __call__(self, label: str, secret: bool) -> str | None:
        return self.answers.pop(0) if self.answers else ""


def chat_as(deputy: Deputy, user: str, *answers: str) -> Chat:
    chat = Chat(deputy, user=user)
    chat.session = ShellSession(deputy, chat.port, local_actor(user, "UTC"), Answers(*answers))
    return chat


def account_plan(base: str) -> PlanDraft:
    return PlanDraft(summary="Read my account", steps=[
        Step(id="s1", action="browser.read", args={"url": f"{base}/account"})])


async def connect(chat: Chat, portal: Portal, user: str, password: str) -> str:
    # site, login page, username, password, cookies, username field, password field
    chat.session.ask = Answers("127.0.0.1", f"{portal.base}/login", user, password, "", "", "")
    return await chat.say("connect browser")


async def test_a_run_acts_as_the_signed_in_requester_and_no_one_else(
        deputy: Deputy, planner: ScriptedPlanner, portal: Portal, database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alice = chat_as(deputy, "Alice")
    assert "Connected browser" in await connect(alice, portal, "alice", PASSWORD)

    planner.script(account_plan(portal.base), account_plan(portal.base))
    out = await alice.say("what does my portal account show?")
    # the account page's table: Alice's own order, as only a signed-in Alice sees it
    assert "✓ Run 1: Done" in out and "PO-95" in out and "alice" in out.split("Run 1")[1], out
    assert portal.logins == ["alice"]  # signed in through the login form, in the run's context

    # Bob connected nothing: his read runs (a login is optional) and sees the page signed out
    bob = chat_as(deputy, "Bob")
    out = await bob.say("what does my portal account show?")
    assert "Not connected" not in out and "Please sign in" in out, out
    assert "alice" not in out and portal.logins == ["alice"]
    assert "portal_session" not in portal.seen_cookies[-1]  # nothing of Alice's session leaked

    # the password is nowhere: messages, logs, file names, the database
    everything = alice.transcript + bob.transcript + caplog.text
    assert PASSWORD not in everything
    names = [str(p) for p in (deputy.settings.home / "browser").rglob("*")]
    assert names and not any(PASSWORD in n or "alice" in n for n in names)
    if database_url.startswith("sqlite"):
        raw = await asyncio.to_thread(Path(database_url.removeprefix("sqlite:///")).read_bytes)
        assert PASSWORD.encode() not in raw


async def test_a_wrong_password_fails_without_quoting_it(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    alice = chat_as(deputy, "Alice")
    await connect(alice, portal, "alice", "not-the-password-1234")
    planner.script(account_plan(portal.base))
    out = await alice.say("what does my portal account show?")
    assert "did not accept the stored login" in out and "connect browser" in out, out
    assert "not-the-password-1234" not in out and portal.logins == []


async def test_session_cookies_can_stand_in_for_a_login_form(deputy: Deputy, planner: ScriptedPlanner, portal: Portal) -> None:
    portal.sessions["tok-from-carols-browser"] = "carol"
    carol = chat_as(deputy, "Carol", "127.0.0.1", "", "", "",
                    "portal_session=tok-from-carols-browser", "", "")
    assert "Connected browser" in await carol.say("connect browser")
    planner.script(account_plan(portal.base))
    out = await carol.say("what does my portal account show?")
    assert "PO-95" in out and "carol" in out.split("Run 1")[1], out
    assert "tok-from-carols-browser" not in out


async def test_a_login_is_used_on_its_own_site_only(
        database: Database, settings: Settings, portal: Portal) -> None:
    both = settings.model_copy(update={"browser_allowed_hosts": ["127.0.0.1", "localhost"]})
    planner = ScriptedPlanner()
    app = await make_app(database, both, discover(["browser"]), planner=planner)
    try:
        alice = chat_as(app, "Alice")
        await connect(alice, portal, "alice", PASSWORD)
        planner.script(account_plan(portal.base.replace("127.0.0.1", "localhost")))
        out = await alice.say("what does my account show on the other host?")
    finally:
        await app.registry.aclose()
    assert "Please sign in" in out and portal.logins == [], out  # localhost never got the login


async def test_a_connection_without_a_login_or_cookies_is_not_stored(deputy: Deputy) -> None:
    chat = chat_as(deputy, "Alice", "127.0.0.1", "", "alice", "", "", "", "")
    out = await chat.say("connect browser")
    assert "give a login page with a username and password, or cookies" in out
    assert "Nothing was stored" in out and "connected nothing" in await chat.say("connections")
