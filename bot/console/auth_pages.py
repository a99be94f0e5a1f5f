"""Signing in and out: a one-time link (``deputy console``) becomes a session cookie; the
platforms' own sign-in is in :mod:`bot.console.platform_signin`."""

from __future__ import annotations

from aiohttp import web

from bot.console.base import Console
from bot.console.platform_signin import add_platform_signin_routes
from bot.console.sessions import COOKIE, ConsoleSession
from bot.console.signin import SIGNIN_PATH, redeem
from bot.store import console_sessions

__all__ = ["add_auth_routes"]


def add_auth_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy
    providers = list(console.providers.values())

    async def signin_page(request: web.Request) -> web.Response:
        # following the link only shows a button: a link preview or a prefetch spends nothing
        return console.render("signin.html", None, token=request.query.get("token", ""),
                              providers=providers)

    async def signin(request: web.Request) -> web.Response:
        data = await request.post()
        actor = await redeem(deputy.database, str(data.get("token", "")), deputy.clock())
        if actor is None:
            return console.render("signin.html", None, 400, token="", providers=providers, problem=(
                "That sign-in link is unknown, used or expired. Run `deputy console` for a new one."))
        raise await console.sign_in(request, actor, "link")

    async def signout(request: web.Request, session: ConsoleSession) -> web.StreamResponse:
        await console.form(request, session)
        # in the database: every process serving the console refuses this cookie from now on
        await console_sessions.end(deputy.database, session.sid, session.actor.key, deputy.clock())
        moved = web.HTTPSeeOther(SIGNIN_PATH)
        moved.del_cookie(COOKIE, path="/console")
        raise moved

    async def home(request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/console/waiting")

    web_app.router.add_get("/console", home)
    web_app.router.add_get(SIGNIN_PATH, signin_page)
    web_app.router.add_post(SIGNIN_PATH, signin)
    web_app.router.add_post("/console/signout", console.page(signout))
    add_platform_signin_routes(web_app, console)
