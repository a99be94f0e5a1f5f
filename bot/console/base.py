"""What every console page shares: who is signed in, the CSRF check on every form, and
rendering a page with the person and their token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from bot.console import render
from bot.console.sessions import COOKIE, LIFETIME, ConsoleSession, Sessions
from bot.core.deputy import Deputy
from bot.domain import Actor
from bot.errors import UserError
from bot.flow.team_admin import admitted
from bot.store import audit, console_sessions, goals

if TYPE_CHECKING:
    from bot.chat.signin import SignInProvider

Page = Callable[[web.Request, ConsoleSession], Awaitable[web.StreamResponse]]
T = TypeVar("T")
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def secure_cookie(request: web.Request) -> bool:
    """Secure, except on plain HTTP to this machine itself (``deputy console``'s default
    link), where a browser would not send a Secure cookie back: anywhere else the console
    must be behind HTTPS, and a browser drops the cookie over plain HTTP."""
    host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") else \
        (request.host or "").split("]")[0] + "]"
    return request.secure or host not in LOOPBACK


class Console:
    def __init__(self, deputy: Deputy, sessions: Sessions,
                 providers: Sequence[SignInProvider] = ()) -> None:
        self.deputy = deputy
        self.sessions = sessions
        self.providers = {provider.name: provider for provider in providers}
        # where the database's connections live: a page served by the front door's own loop
        # (a stream, bot/console/run_pages.py) reads through this one
        self.core = asyncio.get_running_loop()

    async def on_core(self, work: Coroutine[Any, Any, T]) -> T:
        if asyncio.get_running_loop() is self.core:
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.core))

    async def session_of(self, request: web.Request) -> ConsoleSession | None:
        """The person signed in: a cookie that checks out, of a session not signed out."""
        now = self.deputy.clock()
        session = self.sessions.read(request.cookies.get(COOKIE), now)
        if session is None:
            return None
        live = await self.on_core(console_sessions.live(
            self.deputy.database, session.sid, session.actor.key, now))
        return session if live else None

    async def sign_in(self, request: web.Request, actor: Actor, via: str,
                      org: str | None = None) -> web.HTTPException:
        """Start a session for ``actor`` (stored, audited); the redirect that sets its cookie."""
        now = self.deputy.clock()
        session, cookie = self.sessions.start(actor, now, org)
        await console_sessions.start(self.deputy.database, session.sid, actor.key, via, now, session.expires)
        async with self.deputy.database.session(team=actor.team_key) as db:
            await goals.upsert_actor(db, actor)
            await audit.append(db, "console_sign_in", actor_key=actor.key, data={"via": via})
        moved = web.HTTPSeeOther("/console/waiting")
        moved.set_cookie(COOKIE, cookie, max_age=int(LIFETIME.total_seconds()), httponly=True,
                         secure=secure_cookie(request), samesite="Lax", path="/console")
        return moved

    async def now_as(self, session: ConsoleSession) -> tuple[Actor | None, str]:
        """The person as their platform knows them now, or (None, why not): the groups a
        session was signed in with may be up to 8 hours old, so they are read again from the
        platform (``SignInProvider.current``) and through the team's role map (``admitted``,
        as at sign-in). None when the person is no longer in the team or the platform cannot
        say. Without a sign-in provider for the session's platform (the shell's people, a link
        for a platform whose sign-in is not set up) there is no platform to ask: the session's
        own groups count. Decisions and the plans listed as the person's to decide both use
        it, so a list never offers a decision that would be refused, nor misses one."""
        provider = self.providers.get(session.actor.platform)
        if provider is None:
            return session.actor, ""
        try:
            fresh = await provider.current(session.actor, session.org)
        except UserError as err:
            return None, str(err)
        if fresh is None:
            return None, (f"{provider.label.removeprefix('Sign in with ')} no longer counts you in "
                          "this team, so you can decide nothing in it.")
        return await admitted(self.deputy, fresh)

    async def deciding(self, session: ConsoleSession) -> Actor:
        """:meth:`now_as` for a decision (approve, reject, a monitor's pause …): refused (403)
        when it is None, and nothing is decided."""
        actor, why = await self.now_as(session)
        if actor is None:
            raise self.refuse(session, why)
        return actor

    def page(self, handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A page for signed-in people: others are sent to the sign-in page."""
        async def signed_in(request: web.Request) -> web.StreamResponse:
            session = await self.session_of(request)
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
