"""The console in a real headless Chromium (Debian's package, started by the test through
Playwright; never a downloaded browser): sign in with a one-time link, approve a waiting
plan and see the chat card update in the fake Slack (also after signing in with Slack
through the fake Slack's OpenID Connect provider), sign in with Discord through the fake
Discord's OAuth2 page and pick a server, follow a run live, verify the audit,
explain a policy decision, connect an account; a person of another team gets 403; a forged
form is refused. Each page is saved as a screenshot (``DEPUTY_TEST_SCREENSHOTS``, else the
test's temporary folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.app import Deputy
from tests.adapters.slack.distributed import ACME, Installed
from tests.adapters.slack.live import Live, eventually, text_of
from tests.console import held
from tests.console.conftest import ANNA, GOAL, STRANGER, Served, console_with, planned
from tests.console.signin_support import discord_provider, slack_provider
from tests.console.test_console_signin import discord as discord  # noqa: F401  (fixture)
from tests.console.test_console_signin import slack as slack  # noqa: F401  (fixture)
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.integrations.email import conftest as smtp_servers

# the machine is shared and busy: what a person waits for, not a race
WAIT_MS = 20_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium "
                    "package) or `apt-get install -y chromium`", pytrace=False)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                    args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DEPUTY_TEST_SCREENSHOTS", "") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def signed_in(browser: Browser, served: Served, who: object = ANNA) -> Page:
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(WAIT_MS)
    await page.goto(await served.link(who))  # type: ignore[arg-type]
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    return page


async def test_sign_in_approve_and_the_chat_card_updates(live: Live, served: Served, browser: Browser,
                                                         shots: Path) -> None:
    card = await planned(live)
    page = await signed_in(browser, served)
    await expect(page.get_by_text("local.send_reminder").first).to_be_visible()
    await page.screenshot(path=shots / "waiting.png", full_page=True)
    await page.get_by_role("button", name="Approve version 1").click()
    await expect(page.get_by_role("status")).to_contain_text("Your decision (approve) was recorded")
    await eventually(lambda: bool(live.updates_of(card.ts)), 20, "the chat card to update")
    assert "approvals 1/1" in text_of(live.updates_of(card.ts)[0].params["blocks"])
    await page.screenshot(path=shots / "plan.png", full_page=True)
    await page.get_by_role("link", name="Goals and runs").click()
    await page.get_by_role("link", name="#1").click()
    await expect(page.locator("#run-status")).to_have_text("succeeded", timeout=WAIT_MS)
    await expect(page.get_by_text("deputy-run1-s1")).to_be_visible()
    await page.screenshot(path=shots / "run.png", full_page=True)


async def test_a_run_page_follows_the_run_live(app: Deputy, served: Served, browser: Browser,
                                               shots: Path) -> None:
    run_id, _ = await held.held_run(app.database, ANNA)
    page = await signed_in(browser, served)
    await page.goto(f"{served.url}/console/runs/{run_id}")
    await expect(page.locator("#run-status")).to_have_text("running")
    await expect(page.get_by_text(f"deputy-run{run_id}-s1")).to_have_count(0)
    await held.step(app.database, run_id, "s1", "local.list_invoices", {"count": 3, "invoices": []})
    # no reload: the page redraws from the server-sent events
    await expect(page.get_by_text(f"deputy-run{run_id}-s1")).to_be_visible()
    await page.screenshot(path=shots / "run-live.png", full_page=True)
    await held.step(app.database, run_id, "s2", "local.list_clients", {"count": 2, "clients": []})
    await held.finish(app.database, run_id)
    await expect(page.locator("#run-status")).to_have_text("succeeded")
    await expect(page.get_by_text(f"deputy-run{run_id}-s2")).to_be_visible()


async def test_audit_policy_and_connections(live: Live, served: Served, browser: Browser, shots: Path) -> None:
    await planned(live)
    page = await signed_in(browser, served)
    await page.get_by_role("link", name="Audit").click()
    await page.get_by_role("button", name="Verify the chain").click()
    await expect(page.locator("#verify-result")).to_contain_text("audit log of slack:T0001 intact")
    await page.screenshot(path=shots / "audit.png", full_page=True)
    await page.get_by_role("link", name="Policy").click()
    await page.get_by_label("Action").fill("local.send_reminder")
    await page.get_by_label("Arguments (JSON)").fill('{"invoice_id": "INV-1"}')
    await page.get_by_role("button", name="Explain").click()
    await expect(page.locator("#explanation")).to_contain_text("◀ decides")
    await page.screenshot(path=shots / "policy.png", full_page=True)
    await page.get_by_role("link", name="Monitors").click()
    await expect(page.get_by_role("heading", name="Monitors")).to_be_visible()
    await page.screenshot(path=shots / "monitors.png", full_page=True)


@pytest.fixture
def integrations() -> list[str]:
    return ["local", "email"]


@pytest.fixture
async def mail_server() -> AsyncIterator[smtp_servers.SmtpServer]:
    """A real SMTP server (aiosmtpd) that wants a login: connecting email checks it."""
    async for server in smtp_servers._serve(authenticator=smtp_servers._authenticator,
                                            auth_required=True, auth_require_tls=False):
        yield server


async def test_connect_and_disconnect_an_account(served: Served, browser: Browser, shots: Path,
                                                 mail_server: smtp_servers.SmtpServer) -> None:
    page = await signed_in(browser, served)
    await page.get_by_role("link", name="My connections").click()
    await page.get_by_role("link", name="Connect email").click()
    filled = mail_server.credentials(username=smtp_servers.SMTP_USER, password=smtp_servers.SMTP_PASSWORD)
    for label, field in (("SMTP server", "host"), ("Port", "port"), ("Security", "security"),
                         ("Username", "username"), ("Password", "password"), ("From address", "from_address")):
        await page.get_by_label(label).fill(filled[field])
    await page.screenshot(path=shots / "connect.png", full_page=True)
    await page.get_by_role("button", name="Connect", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Connected email")
    await expect(page.get_by_role("button", name="Disconnect email")).to_be_visible()
    assert smtp_servers.SMTP_PASSWORD not in await page.content()  # never shown back
    await page.screenshot(path=shots / "connections.png", full_page=True)
    await page.get_by_role("button", name="Disconnect email").click()
    await expect(page.get_by_role("status")).to_contain_text("Disconnected email")
    await expect(page.get_by_text("You have connected nothing yet.")).to_be_visible()


async def test_another_team_gets_403_and_a_forged_form_is_refused(live: Live, served: Served,
                                                                  browser: Browser) -> None:
    await planned(live)
    stranger = await signed_in(browser, served, STRANGER)
    await expect(stranger.get_by_text("Nothing waits for your decision.")).to_be_visible()
    response = await stranger.goto(f"{served.url}/console/plans/1")
    assert response is not None and response.status == 403
    await expect(stranger.get_by_text("chase overdue invoices")).to_have_count(0)
    await expect(stranger.get_by_role("button", name="Approve version 1")).to_have_count(0)
    # a page of another site posting to the console: the cookie goes along (a top-level
    # POST), the CSRF token cannot
    anna = await signed_in(browser, served)
    await anna.set_content(f'<form method="post" action="{served.url}/console/plans/1/decide">'
                           '<input name="version" value="1"><input name="decision" value="approve">'
                           '<button>go</button></form>')
    async with anna.expect_navigation() as navigation:
        await anna.get_by_role("button", name="go").click()
    answer = await navigation.value
    assert answer is not None and answer.status == 403
    await expect(anna.get_by_role("alert")).to_contain_text("CSRF")


async def test_sign_in_with_slack_approve_and_the_chat_card_updates(app: Deputy, slack: Installed,
                                                                    slack_api: FakeSlackApi, browser: Browser,
                                                                    shots: Path) -> None:
    """Through the fake Slack's OpenID Connect provider, as a person does it: the button,
    Slack's page (which allows at once: the fake plays the person), back signed in."""
    assert await slack.slash(ACME, GOAL, user="U0ANNA") == 200
    card = await slack.card(ACME)
    await slack.settle()
    slack_api.oauth.signing_in = (ACME, "U0ANNA")
    async with aiohttp.ClientSession() as outbound, \
            console_with(app, [slack_provider(app, slack_api, outbound)]) as served:
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(WAIT_MS)
        await page.goto(f"{served.url}/console/signin")
        await page.screenshot(path=shots / "signin.png", full_page=True)
        await page.get_by_role("link", name="Sign in with Slack").click()
        await expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
        await expect(page.get_by_text(f"anna.b · slack {ACME}")).to_be_visible()
        await page.get_by_role("button", name="Approve version 1").click()
        await expect(page.get_by_role("status")).to_contain_text("Your decision (approve) was recorded")

        def updated() -> bool:
            return any("approvals 1/1" in text_of(c.params["blocks"]) for c in slack_api.of("chat.update")
                       if c.params.get("ts") == card.ts)
        await eventually(updated, 20, "the chat card to update")


async def test_sign_in_with_discord_pick_a_server_and_sign_out(app: Deputy, discord: FakeDiscord, browser: Browser,
                                                               shots: Path) -> None:
    """Through the fake Discord's OAuth2 page (PKCE), as a person does it: the button,
    Discord's page (which allows at once: the fake plays Alice), back; Alice is in two
    servers that have Deputy, so she picks one (the choice is bound to this browser's
    cookie), lands signed in to it, and signing out holds on the next page."""
    other = discord.new_id()
    discord.guilds[other] = {"name": "Globex", "owner": "alice", "roles": {"finance": discord.new_id()},
                             "member_roles": {"alice": []}}
    discord.oauth.approving = "alice"
    async with aiohttp.ClientSession() as outbound, \
            console_with(app, [discord_provider(discord, outbound)]) as served:
        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(WAIT_MS)
        await page.goto(f"{served.url}/console/signin")
        await page.get_by_role("link", name="Sign in with Discord").click()
        await expect(page.get_by_role("button", name="Sign in to Acme")).to_be_visible()
        await page.screenshot(path=shots / "signin-discord-pick.png", full_page=True)
        await page.get_by_role("button", name="Sign in to Globex").click()
        await expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
        await expect(page.get_by_text(f"Alice · discord {other}")).to_be_visible()
        await page.get_by_role("button", name="Sign out").click()
        await page.goto(f"{served.url}/console/waiting")
        await expect(page.get_by_role("link", name="Sign in with Discord")).to_be_visible()
        await expect(page.get_by_role("heading", name="Waiting for you")).to_have_count(0)
