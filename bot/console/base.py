"""What every console page shares: who is signed in, the CSRF check on every form, and
rendering a page with the person and their token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console import render
from bot.console.sessions import COOKIE, ConsoleSession, Sessions
from bot.core.deputy import Deputy

Page = Callable[[web.Request, ConsoleSession], Awaitable[web.StreamResponse]]


class Console:
    def __init__(self, deputy: Deputy, sessions: Sessions) -> None:
        self.deputy = deputy
        self.sessions = sessions

    def session_of(self, request: web.Request) -> ConsoleSession | None:
        return self.sessions.read(request.cookies.get(COOKIE), self.deputy.clock())

    def page(self, handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A page for signed-in people: others are sent to the sign-in page."""
        async def signed_in(request: web.Request) -> web.StreamResponse:
            session = self.session_of(request)
            if session is None:
                if request.method == "GET":
                    raise web.HTTPSeeOther("/console/signin")
                return render.html("error.html", 401, title="Signed out", session=None,
                                   text="Your session ended; sign in again.")
            return await handler(request, session)
        return signed_in

    async def form(self, request: web.Request, session: ConsoleSession) -> dict[str, str]:
        """The posted form, once its CSRF token checks out; 403 otherwise."""
        data = await request.post()
        if not self.sessions.csrf_ok(session, str(data.get("csrf", ""))):
            raise self.refuse(session, "This form did not come from your console page (its CSRF "
                                       "token is missing or wrong); nothing was changed.")
        return {k: str(v) for k, v in data.items() if isinstance(v, str)}

    def render(self, template: str, session: ConsoleSession | None, status: int = 200,
               **context: Any) -> web.Response:
        csrf = self.sessions.csrf_token(session) if session is not None else ""
        return render.html(template, status, session=session, csrf=csrf, **context)

    def refuse(self, session: ConsoleSession | None, text: str, status: int = 403) -> web.HTTPException:
        """An error page as an exception, so a handler can raise it from anywhere."""
        response = self.render("error.html", session, status,
                               title="Not allowed" if status == 403 else "Not found", text=text)
        error = web.HTTPForbidden if status == 403 else web.HTTPNotFound
        return error(text=response.text, content_type="text/html", headers=render.HEADERS)
