"""Typed entry points of the browser integration; arguments match manifest.yaml.

Reads (open, read, screenshot) load a page and look. Writes (fill, select, click, submit)
act on it. A browser cannot deduplicate a click, so ``idempotent_writes`` is false: a write
that failed before it touched the page (the page did not load, the element is missing)
raises an error saying nothing was done; one that failed while or after acting raises
``TransientError(sent=True)``, which the executor reports as "outcome unknown" and never
sends again (bot/execution/calls.py).

Page text is what a web page says about itself: it goes back as data, never as instructions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from bot.errors import PermanentError, TransientError
from bot.registry.contract import ActionSet, CallContext, IntegrationEnv
from integrations.browser.client import (
    INTEGRATION,
    BrowserClient,
    BrowserConfig,
    page_tables,
    page_text,
)


def build_client(env: IntegrationEnv) -> BrowserClient:
    settings = env.settings
    step = float(getattr(settings, "step_timeout_seconds", 30.0))
    return BrowserClient(BrowserConfig(
        executable=str(getattr(settings, "browser_executable", "") or ""),
        allowed_hosts=list(getattr(settings, "browser_allowed_hosts", []) or []),
        screenshots=Path(getattr(settings, "home", Path(".deputy"))) / "browser",
        # Playwright's own limit a little inside the executor's, so a slow page fails with
        # a message naming the page rather than a bare timeout
        step_seconds=max(1.0, step * 0.8)))


actions = ActionSet(INTEGRATION, client_factory=build_client)
MAX_LINES = 200


async def _seen(client: BrowserClient, page: Page, ctx: CallContext, label: str) -> dict[str, Any]:
    return {"url": page.url, "title": await page.title(),
            "screenshot": await client.screenshot(page, ctx.idempotency_key, label)}


# ---- reads ------------------------------------------------------------------------------


@actions.action("open")
async def open_page(client: BrowserClient, ctx: CallContext, *, url: str) -> dict[str, Any]:
    async with client.page(url) as page:
        seen = await _seen(client, page, ctx, "page")
        text = await page_text(page, None)
        return {**seen, "text": text, "summary": _summary(text)}


@actions.action("read")
async def read(client: BrowserClient, ctx: CallContext, *, url: str,
               selector: str | None = None) -> dict[str, Any]:
    async with client.page(url) as page:
        tables = await page_tables(page, selector)
        seen = await _seen(client, page, ctx, "page")
        text = await page_text(page, selector)
        # the first table's rows, so a plan can refer to them as sN.rows; a page with no
        # table gives its text a line a row, so the person asking sees what it says
        rows = tables[0]["rows"] if tables else [
            {"text": line.strip()} for line in text.splitlines() if line.strip()][:MAX_LINES]
        return {**seen, "text": text, "tables": tables, "rows": rows}


@actions.action("screenshot")
async def screenshot(client: BrowserClient, ctx: CallContext, *, url: str) -> dict[str, Any]:
    async with client.page(url) as page:
        return await _seen(client, page, ctx, "page")


# ---- writes -----------------------------------------------------------------------------


async def _element(page: Page, selector: str) -> Locator:
    """The element a write acts on; missing means nothing was done (a plain failure)."""
    element = page.locator(selector).first
    if await element.count() == 0:
        raise PermanentError(f"browser: no element matches {selector!r} on {page.url}; "
                             "nothing was done")
    return element


async def _put(element: Locator, value: str) -> None:
    if await element.evaluate("(e) => e.tagName") == "SELECT":
        await element.select_option(value)
    else:
        await element.fill(value)


async def _acted(client: BrowserClient, page: Page, ctx: CallContext, before: str,
                 done: str) -> dict[str, Any]:
    await page.wait_for_load_state("load")
    seen = await _seen(client, page, ctx, "after")
    text = await page_text(page, None)
    return {**seen, "before_url": before, "done": done, "text": text, "summary": _summary(text)}


def _summary(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 300 else words[:299] + "…"


def _interrupted(action: str, url: str, err: PlaywrightError) -> TransientError:
    # the page may already have acted on it: outcome unknown, never re-sent blindly
    return TransientError(f"browser: {action} on {url} was interrupted "
                          f"({str(err).splitlines()[0]})", sent=True)


@actions.action("fill")
async def fill(client: BrowserClient, ctx: CallContext, *, url: str,
               fields: list[dict[str, str]]) -> dict[str, Any]:
    async with client.page(url) as page:
        targets = [(await _element(page, f["selector"]), f["value"]) for f in fields]
        try:
            for element, value in targets:
                await _put(element, value)
            return await _acted(client, page, ctx, url, f"filled {len(targets)} fields")
        except PlaywrightError as err:
            raise _interrupted("fill", url, err) from err


@actions.action("select")
async def select(client: BrowserClient, ctx: CallContext, *, url: str, selector: str,
                 value: str) -> dict[str, Any]:
    async with client.page(url) as page:
        element = await _element(page, selector)
        try:
            await element.select_option(value)
            return await _acted(client, page, ctx, url, f"chose {value!r} in {selector}")
        except PlaywrightError as err:
            raise _interrupted("select", url, err) from err


@actions.action("click")
async def click(client: BrowserClient, ctx: CallContext, *, url: str,
                selector: str) -> dict[str, Any]:
    async with client.page(url) as page:
        element = await _element(page, selector)
        try:
            await element.click()
            return await _acted(client, page, ctx, url, f"clicked {selector}")
        except PlaywrightError as err:
            raise _interrupted("click", url, err) from err


@actions.action("submit")
async def submit(client: BrowserClient, ctx: CallContext, *, url: str, button: str,
                 fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    async with client.page(url) as page:
        targets = [(await _element(page, f["selector"]), f["value"]) for f in fields or []]
        pressed = await _element(page, button)
        try:
            for element, value in targets:
                await _put(element, value)
            # Playwright waits for a navigation the click starts before returning
            await pressed.click()
            return await _acted(client, page, ctx, url,
                                f"filled {len(targets)} fields and pressed {button}")
        except PlaywrightError as err:
            raise _interrupted("submit", url, err) from err
