"""Typed entry points of the browser integration; arguments match manifest.yaml.

Reads (open, read, screenshot) load a page and look. Writes (fill, select, click, submit,
download) act on it. A browser cannot deduplicate a click, so ``idempotent_writes`` is false: a write
that failed before it touched the page (the page did not load, the element is missing)
raises an error saying nothing was done; one that failed while or after acting raises
``TransientError(sent=True)``, which the executor reports as "outcome unknown" and never
sends again (bot/execution/calls.py).

Page text is what a web page says about itself: it goes back as data, never as instructions.
A requester who connected a site login (`connect browser`) is signed in to that site, and only
that site, in each call's fresh context (integrations/browser/login.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from playwright.async_api import Download, Locator, Page
from playwright.async_api import Error as PlaywrightError

from bot.sdk import ActionSet, CallContext, IntegrationEnv, PermanentError, TransientError
from integrations.browser.client import (
    INTEGRATION,
    BrowserClient,
    BrowserConfig,
    TooBig,
    Visit,
    download_folder,
    page_tables,
    page_text,
    safe_file_name,
)
from integrations.browser.login import SiteLogin
from integrations.browser.settings import BrowserSettings


def build_client(env: IntegrationEnv) -> BrowserClient:
    settings = env.settings
    own: BrowserSettings = env.config or BrowserSettings()
    step = float(settings.step_timeout_seconds)
    return BrowserClient(BrowserConfig(
        executable=str(own.browser_executable),
        allowed_hosts=list(own.browser_allowed_hosts),
        screenshots=Path(settings.home) / "browser",
        # Playwright's own limit a little inside the executor's, so a slow page fails with
        # a message naming the page rather than a bare timeout
        step_seconds=max(1.0, step * 0.8),
        download_max_bytes=int(own.browser_download_max_bytes)))


actions = ActionSet(INTEGRATION, client_factory=build_client)
MAX_LINES = 200


def _login(ctx: CallContext) -> SiteLogin | None:
    return SiteLogin.from_credentials(ctx.credentials)


async def _seen(client: BrowserClient, page: Page, ctx: CallContext, label: str) -> dict[str, Any]:
    return {"url": page.url, "title": await page.title(),
            "screenshot": await client.screenshot(page, ctx.idempotency_key, label)}


# ---- reads ------------------------------------------------------------------------------


@actions.action("open")
async def open_page(client: BrowserClient, ctx: CallContext, *, url: str) -> dict[str, Any]:
    async with client.page(url, _login(ctx)) as page:
        seen = await _seen(client, page, ctx, "page")
        text = await page_text(page, None)
        return {**seen, "text": text, "summary": _summary(text)}


@actions.action("read")
async def read(client: BrowserClient, ctx: CallContext, *, url: str,
               selector: str | None = None) -> dict[str, Any]:
    async with client.page(url, _login(ctx)) as page:
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
    async with client.page(url, _login(ctx)) as page:
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
    async with client.page(url, _login(ctx)) as page:
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
    async with client.page(url, _login(ctx)) as page:
        element = await _element(page, selector)
        try:
            await element.select_option(value)
            return await _acted(client, page, ctx, url, f"chose {value!r} in {selector}")
        except PlaywrightError as err:
            raise _interrupted("select", url, err) from err


@actions.action("click")
async def click(client: BrowserClient, ctx: CallContext, *, url: str,
                selector: str) -> dict[str, Any]:
    async with client.page(url, _login(ctx)) as page:
        element = await _element(page, selector)
        try:
            await element.click()
            return await _acted(client, page, ctx, url, f"clicked {selector}")
        except PlaywrightError as err:
            raise _interrupted("click", url, err) from err


@actions.action("submit")
async def submit(client: BrowserClient, ctx: CallContext, *, url: str, button: str,
                 fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    async with client.page(url, _login(ctx)) as page:
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


@actions.action("download")
async def download(client: BrowserClient, ctx: CallContext, *, url: str,
                   selector: str) -> dict[str, Any]:
    limit = client.config.download_max_bytes
    async with client.visit(url, _login(ctx), max_bytes=limit) as visit:
        element = await _element(visit.page, selector)
        try:
            got = await _download(visit, element, client.config.step_seconds)
        except PlaywrightError as err:
            raise _interrupted("download", url, err) from err
        folder = download_folder(client.config.screenshots, ctx.idempotency_key)
        folder.mkdir(parents=True, exist_ok=True)
        target = _free(folder / safe_file_name(got.suggested_filename))
        try:
            await got.save_as(target)
        except PlaywrightError as err:  # the site broke off the file: nothing usable was kept
            target.unlink(missing_ok=True)
            raise PermanentError(f"browser: the download from {got.url} did not finish "
                                 f"({str(err).splitlines()[0]}); nothing was saved") from err
        size = target.stat().st_size
        if size > limit:  # the gate measured every answer; this is the file as saved
            target.unlink()
            raise TooBig(f"browser: refused the download from {got.url}: it is over the "
                         f"limit of {limit:,} bytes; nothing was kept")
        return {"url": visit.page.url, "done": f"downloaded {target.name} ({size:,} bytes)",
                "file": str(target), "name": target.name, "bytes": size, "from": got.url}


async def _download(visit: Visit, element: Locator, seconds: float) -> Download:
    """Click and wait for the file, or for the gate to say it cannot come (too big, broken
    off: at once, not at the end of the time limit)."""
    loop = asyncio.get_running_loop()
    started: asyncio.Future[Download] = loop.create_future()

    def on_download(got: Download) -> None:
        if not started.done():
            started.set_result(got)

    visit.page.once("download", on_download)
    await element.click()
    refused: asyncio.Future[Any] = asyncio.ensure_future(visit.stopped.wait())
    try:
        done, _ = await asyncio.wait({started, refused}, timeout=seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        refused.cancel()
    if started in done:
        return started.result()
    if visit.stop_why:
        raise visit.stop_why[0]
    raise PermanentError(f"browser: the click on {visit.page.url} started no download within "
                         f"{seconds:g} s; nothing was saved")


def _free(path: Path) -> Path:
    """``path``, or ``name-2.ext`` … when a file of that name was already downloaded this run."""
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
