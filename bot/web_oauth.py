"""``GET /oauth/callback`` on `deputy serve`: where a provider sends the browser back after consent.

The page shown never holds a token; the person also hears how it went in chat, privately,
where they asked. A state that is unknown, used or expired gets 400 and changes nothing.
"""

from __future__ import annotations

import html
import logging
import re

from aiohttp import web

from bot.chat.replies import Notice
from bot.core.deputy import Deputy
from bot.errors import DeputyError
from bot.store import audit
from bot.vault.oauth import CALLBACK_PATH, OAuthProvider, provider_for
from bot.vault.oauth_connect import Connected, SignInRefused, finish

log = logging.getLogger(__name__)

# the page must not be cached, nor leak the code and state to other sites through Referer
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'none'"}


class _HideCallbackQuery(logging.Filter):
    """aiohttp's access log writes the request line, which for the callback holds the code and
    the state: keep the path, drop the query. The paths: this module's callback, the console's
    sign-in callbacks (bot/console/platform_signin.py), and those an adapter serves as well,
    given by whoever starts it (:func:`hide_callback_queries`)."""

    def __init__(self) -> None:
        super().__init__()
        self._paths = [re.escape(CALLBACK_PATH), r"/console/signin/[^/?\s]+/callback"]
        self._query = self._compiled()

    def _compiled(self) -> re.Pattern[str]:
        return re.compile("(" + "|".join(self._paths) + ")" + r"\?[^\s\"]*")

    def hide(self, path: str) -> None:
        if re.escape(path) not in self._paths:
            self._paths.append(re.escape(path))
            self._query = self._compiled()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self._query.sub(r"\1?…", record.msg)
        return True


_ACCESS_LOG_FILTER = _HideCallbackQuery()


def hide_callback_queries(*paths: str) -> None:
    """Keep the query of these routes (an adapter's OAuth callback) out of the access log too."""
    for path in paths:
        _ACCESS_LOG_FILTER.hide(path)


def add_oauth_routes(web_app: web.Application, deputy: Deputy) -> None:
    logging.getLogger("aiohttp.access").addFilter(_ACCESS_LOG_FILTER)  # adding it twice is a no-op

    def providers(integration: str) -> OAuthProvider | None:
        loaded = deputy.registry.get(integration)
        return None if loaded is None else provider_for(
            deputy.settings, integration, loaded.manifest.oauth, loaded.settings)

    async def callback(request: web.Request) -> web.Response:
        if deputy.vault is None:
            return _page(503, "Not connected", "This Deputy has no credential vault configured.")
        query = request.query
        try:
            connected = await finish(deputy.database, deputy.vault, providers,
                                     query.get("state", ""), query.get("code"), deputy.clock())
        except SignInRefused as refused:
            if refused.who is not None:
                await _tell(deputy, refused.who, Notice(str(refused), tone="warning"))
            return _page(400, "Not connected", str(refused))
        except DeputyError as err:  # a setting missing here, or the vault refusing
            log.warning("oauth: callback failed: %s", err)
            return _page(500, "Not connected", str(err))
        async with deputy.database.session(team=connected.actor.team_key) as session:
            await audit.append(session, "connect", actor_key=connected.actor.key,
                               data={"integration": connected.integration, "via": "oauth2"})
        await _tell(deputy, connected, Notice(
            f"Connected {connected.integration}. Plans that need it will run with your account.",
            tone="success"))
        return _page(200, "Connected", f"{connected.integration} is connected to Deputy. "
                                       "You can close this tab.")

    web_app.router.add_get(CALLBACK_PATH, callback)


async def _tell(deputy: Deputy, who: Connected, notice: Notice) -> None:
    port = deputy.port(who.where.platform)
    try:
        await port.post_private(who.where, who.actor, notice)
    except Exception:  # noqa: BLE001 - the browser still gets its answer; the chat note is a courtesy
        log.exception("oauth: could not tell %s how connecting went", who.actor.key)


def _page(status: int, title: str, text: str) -> web.Response:
    body = (f"<!doctype html><meta charset=utf-8><title>Deputy: {html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>")
    return web.Response(status=status, text=body, content_type="text/html", headers=PAGE_HEADERS)
