"""The only module of the browser integration that drives Chromium (Playwright for Python).

One browser process per Deputy process, started on first use; every call gets a fresh
browser context (no cookies, storage or cache shared with another call or run) and closes
it before returning. Every request the page makes passes the HostGuard, so a listed page
cannot redirect or script the browser elsewhere. A call whose page is on the requester's
connected site first signs in, in that fresh context (integrations/browser/login.py).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from playwright.async_api import Browser, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from bot.sdk import PermanentError, TransientError
from integrations.browser.guard import HostGuard, HostRefused
from integrations.browser.login import SiteLogin, sign_in
from integrations.browser.login import check_credentials as check_credentials

INTEGRATION = "browser"
# Debian's chromium package; DEPUTY_BROWSER_EXECUTABLE points elsewhere
DEFAULT_EXECUTABLES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
MAX_TEXT = 20_000  # characters of page text handed back (it goes to the planner as data)
MAX_ROWS = 500


@dataclass(frozen=True)
class BrowserConfig:
    executable: str
    allowed_hosts: Sequence[str]
    screenshots: Path  # DEPUTY_HOME/browser: one folder per run below it
    step_seconds: float
    download_max_bytes: int = 25_000_000


class TooBig(PermanentError):
    """A download (or any answer during a download step) is over the size limit."""


class DownloadBroken(PermanentError):
    """During a download step, the page the click led to could not be fetched."""


@dataclass
class Visit:
    """One call's page, and what its gate refused while the call ran."""

    page: Page
    refused: list[str]
    stopped: asyncio.Event  # a download step cannot succeed any more (too big, broken off)
    stop_why: list[PermanentError]

    def stop(self, why: PermanentError) -> None:
        self.stop_why.append(why)
        self.stopped.set()


def find_executable(configured: str) -> str:
    for candidate in ([configured] if configured else DEFAULT_EXECUTABLES):
        found = shutil.which(candidate)
        if found:
            return found
    raise PermanentError(
        f"browser: no Chromium found ({configured or ', '.join(DEFAULT_EXECUTABLES)}); install "
        "Debian's chromium package or set DEPUTY_BROWSER_EXECUTABLE to a Chromium binary")


def run_folder(key: str) -> str:
    """deputy-run7-s2-1 → run7; deputy-preview3-s1 → preview3: one folder per run (or preview)."""
    match = re.match(r"deputy-((?:run|preview)\d+)", key)
    return match.group(1) if match else re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:80] or "calls"


def shot_name(key: str, label: str) -> str:
    step = re.sub(r"^deputy-(?:run|preview)\d+-?", "", key) or "call"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{step}-{label}")[:120] + ".png"


class BrowserClient:
    def __init__(self, config: BrowserConfig) -> None:
        self.config = config
        self.guard = HostGuard(config.allowed_hosts)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> Browser:
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                executable = find_executable(self.config.executable)
                if self._playwright is None:
                    self._playwright = await async_playwright().start()
                try:
                    # --no-sandbox: Chromium's sandbox needs user namespaces, absent in
                    # containers and for root; the fresh context per call is the isolation
                    self._browser = await self._playwright.chromium.launch(
                        executable_path=executable, headless=True, args=["--no-sandbox"])
                except PlaywrightError as err:
                    raise PermanentError(f"browser: Chromium at {executable} did not start: "
                                         f"{str(err).splitlines()[0]}") from err
            return self._browser

    async def aclose(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    @asynccontextmanager
    async def page(self, url: str, login: SiteLogin | None = None) -> AsyncIterator[Page]:
        """A page of a fresh context, already at ``url``; nothing has been done to it yet."""
        async with self.visit(url, login) as visit:
            yield visit.page

    @asynccontextmanager
    async def visit(self, url: str, login: SiteLogin | None = None, *,
                    max_bytes: int | None = None) -> AsyncIterator[Visit]:
        """Like ``page``; ``max_bytes`` refuses any answer bigger than that (a download step),
        and the Visit says what the gate refused. ``login`` signs in first when ``url`` is
        on its site."""
        await self.guard.check(url)
        browser = await self._started()
        context = await browser.new_context(accept_downloads=max_bytes is not None,
                                            service_workers="block")
        try:
            context.set_default_timeout(self.config.step_seconds * 1000)
            page = await context.new_page()
            visit = Visit(page, [], asyncio.Event(), [])
            await context.route("**/*", self._gate(visit, max_bytes))
            if login is not None and login.covers(url):
                await sign_in(page, login, lambda at: self._open(visit, at))
            await self._open(visit, url)
            yield visit
        finally:
            await context.close()

    def _gate(self, visit: Visit, max_bytes: int | None) -> Any:
        async def gate(route: Route) -> None:
            # Chromium follows redirects without asking the route again, so the request is
            # made here with redirects off and each Location is checked before it is followed
            try:
                await self.guard.check(route.request.url)
                response = await route.fetch(max_redirects=0)
                location = response.headers.get("location")
                if 300 <= response.status < 400 and location:
                    await self.guard.check(urljoin(route.request.url, location))
                size = len(await response.body()) if max_bytes is not None else 0
            except HostRefused as err:
                visit.refused.append(str(err))
                await route.abort("blockedbyclient")
                return
            except PlaywrightError as err:
                if max_bytes is not None and route.request.is_navigation_request():
                    visit.stop(DownloadBroken(
                        f"browser: {route.request.url} could not be fetched "
                        f"({str(err).splitlines()[0]}); nothing was saved"))
                await route.abort("failed")
                return
            if max_bytes is not None and size > max_bytes:
                visit.stop(TooBig(
                    f"browser: refused to download {route.request.url}: it is {_size(size)}, "
                    f"over the limit of {_size(max_bytes)} (DEPUTY_BROWSER_DOWNLOAD_MAX_BYTES); "
                    "nothing was saved"))
                await route.abort("blockedbyclient")
                return
            await route.fulfill(response=response)
        return gate

    async def _open(self, visit: Visit, url: str) -> None:
        try:
            response = await visit.page.goto(url, wait_until="load")
        except PlaywrightTimeout as err:
            raise TransientError(f"browser: {url} did not load within "
                                 f"{self.config.step_seconds:g} s", sent=False) from err
        except PlaywrightError as err:
            if visit.refused:
                raise HostRefused(visit.refused[0]) from err
            if visit.stop_why:
                raise visit.stop_why[0] from err
            raise TransientError(f"browser: could not open {url}: "
                                 f"{str(err).splitlines()[0]}", sent=False) from err
        if response is not None and response.status >= 400:
            raise PermanentError(f"browser: {url} answered HTTP {response.status}")

    async def screenshot(self, page: Page, key: str, label: str) -> str:
        folder = self.config.screenshots / run_folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / shot_name(key, label)
        await page.screenshot(path=str(path), full_page=True)
        return str(path)


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    return f"{count / 1000:.1f} kB" if count >= 1000 else f"{count} bytes"


def download_folder(root: Path, key: str) -> Path:
    """DEPUTY_HOME/browser/<run>/downloads: one folder per run (or preview)."""
    return root / run_folder(key) / "downloads"


def safe_file_name(suggested: str) -> str:
    """The site's name for the file, without any folder part or odd characters."""
    name = re.sub(r"[^A-Za-z0-9_. -]", "_", suggested.replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"\.{2,}", "_", name).strip(" .")[:120]
    return name or "download"


async def page_text(page: Page, selector: str | None) -> str:
    if selector:
        element = page.locator(selector).first
        if await element.count() == 0:
            raise PermanentError(f"browser: no element matches {selector!r} on {page.url}")
        text = await element.inner_text()
    else:
        text = await page.locator("body").inner_text()
    return text[:MAX_TEXT]


_TABLES_JS = """
(root) => (root.matches('table') ? [root] : Array.from(root.querySelectorAll('table'))).map(t => {
  const rows = Array.from(t.querySelectorAll('tr')).map(r =>
      Array.from(r.querySelectorAll('th,td')).map(c => c.innerText.trim()));
  return rows;
})
"""


async def page_tables(page: Page, selector: str | None) -> list[dict[str, Any]]:
    """Each <table> as its header and rows of {header: cell}; the first row is the header."""
    root = page.locator(selector).first if selector else page.locator("html")
    raw: list[list[list[str]]] = await root.evaluate(
        "(el) => (" + _TABLES_JS + ")(el)")
    tables = []
    for rows in raw:
        if not rows:
            continue
        header = [h or f"column {i + 1}" for i, h in enumerate(rows[0])]
        body = [dict(zip(header, row, strict=False)) for row in rows[1:MAX_ROWS + 1]]
        tables.append({"columns": header, "rows": body})
    return tables
