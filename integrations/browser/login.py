"""A site login: the requester's own account on one site, from the vault, used in the fresh
browser context of each call whose page is on that site.

`connect browser` asks for the site (a host name), and either a login page with a username
and password, or cookies copied from a signed-in browser (or both). Before a call opens a
page on that site, the cookies are put into the call's context and the login form is filled
and sent, so the page is seen as that person sees it. No other site ever gets them, and no
other person's call: the executor hands a call only its requester's credentials.

Nothing here puts a username, password or cookie into a message, a log line or an exception
(Playwright's own error text may quote what was typed, so it is never passed on).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from bot.sdk import PermanentError, TransientError

# where a login form usually keeps its fields; a connection may name its own selectors
USERNAME_FIELDS = ("input[autocomplete=username], input[type=email], input[name*=user i], "
                   "input[name*=login i], input[name*=email i], input[type=text]")
PASSWORD_FIELDS = "input[type=password]"


class LoginFailed(PermanentError):
    """The site did not accept the stored login; the message never quotes it."""


@dataclass(frozen=True)
class SiteLogin:
    site: str  # a bare host name: the only host these credentials are used on
    login_url: str = ""
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    cookies: str = field(default="", repr=False)  # "name=value; other=value"
    username_field: str = ""
    password_field: str = ""

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str]) -> SiteLogin | None:
        """The login of a call's credentials; None when the requester connected no site."""
        site = (credentials.get("site") or "").strip().lower().rstrip(".")
        if not site:
            return None
        return cls(site=site, login_url=credentials.get("login_url", "").strip(),
                   username=credentials.get("username", ""),
                   password=credentials.get("password", ""),
                   cookies=credentials.get("cookies", ""),
                   username_field=credentials.get("username_field", "").strip(),
                   password_field=credentials.get("password_field", "").strip())

    def covers(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower().rstrip(".") == self.site

    def cookie_list(self) -> list[dict[str, str]]:
        pairs = [part.strip().split("=", 1) for part in self.cookies.split(";") if part.strip()]
        return [{"name": name.strip(), "value": value.strip(), "domain": self.site, "path": "/"}
                for name, value in pairs]


async def check_credentials(credentials: Mapping[str, str]) -> None:
    """At connect time: the shape of a site login (nothing is sent anywhere yet)."""
    login = SiteLogin.from_credentials(credentials)
    if login is None or "/" in login.site or ":" in login.site.strip("[]"):
        raise PermanentError("the site is a bare host name, like portal.example.com")
    if not login.cookies and not (login.username and login.password and login.login_url):
        raise PermanentError("give a login page with a username and password, or cookies")
    if login.login_url and not (login.login_url.startswith(("http://", "https://"))
                                and login.covers(login.login_url)):
        raise PermanentError(f"the login page must be an http(s) address on {login.site}")
    if any("=" not in part for part in login.cookies.split(";") if part.strip()):
        raise PermanentError("cookies are written name=value; other=value")


async def sign_in(page: Page, login: SiteLogin, open_page: Callable[[str], Awaitable[None]]) -> None:
    """Put the login into ``page``'s (fresh) context: cookies, then the login form."""
    if login.cookies:
        await page.context.add_cookies(login.cookie_list())  # type: ignore[arg-type]
    if not (login.username and login.password and login.login_url):
        return
    await open_page(login.login_url)
    user = page.locator(login.username_field or USERNAME_FIELDS).first
    secret = page.locator(login.password_field or PASSWORD_FIELDS).first
    if await secret.count() == 0 or await user.count() == 0:
        raise LoginFailed(f"browser: the login page {login.login_url} has no username and "
                          "password fields I can find; nothing was done. `connect browser` "
                          "again with the fields' CSS selectors")
    try:
        await user.fill(login.username)
        await secret.fill(login.password)
        async with page.expect_navigation(wait_until="load"):
            await secret.press("Enter")
    except PlaywrightError:
        # Playwright's message may quote the typed values: it is not passed on
        raise TransientError(f"browser: signing in at {login.login_url} did not finish",
                             sent=None) from None
    if await page.locator(PASSWORD_FIELDS).count() > 0:
        raise LoginFailed(f"browser: {login.site} did not accept the stored login (its login "
                          "form is shown again); nothing else was done. Check it with "
                          "`connect browser`")
