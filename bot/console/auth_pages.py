"""Signing in and out: a one-time link (``deputy console``) becomes a session cookie."""

from __future__ import annotations

from aiohttp import web

from bot.console.base import Console
from bot.console.sessions import COOKIE, LIFETIME, ConsoleSession
from bot.console.signin import SIGNIN_PATH, redeem
from bot.store import audit, goals

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def secure_cookie(request: web.Request) -> bool:
    """Secure, except on plain HTTP to this machine itself (``deputy console``'s default
    link), where a browser would not send a Secure cookie back: anywhere else the console
    must be behind HTTPS, and a browser drops the cookie over plain HTTP."""
    host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").startswith("[") else \
        (request.host or "").split("]")[0] + "]"
    return request.secure or host not in LOOPBACK


def add_auth_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy

    async def signin_page(request: web.Request) -> web.Response:
        # following the link only shows a button: a link preview or a prefetch spends nothing
        return console.render("signin.html", None, token=request.query.get("token", ""))

    async def signin(request: web.Request) -> web.Response:
        data = await request.post()
        actor = await redeem(deputy.database, str(data.get("token", "")), deputy.clock())
        if actor is None:
            return console.render("signin.html", None, 400, token="", problem=(
                "That sign-in link is unknown, used or expired. Run `deputy console` for a new one."))
        session, cookie = console.sessions.start(actor, deputy.clock())
        async with deputy.database.session() as db:
            await goals.upsert_actor(db, actor)
            await audit.append(db, "console_sign_in", actor_key=actor.key, data={"via": "link"})
        moved = web.HTTPSeeOther("/console/waiting")
        moved.set_cookie(COOKIE, cookie, max_age=int(LIFETIME.total_seconds()), httponly=True,
                            secure=secure_cookie(request), samesite="Lax", path="/console")
        raise moved

    async def signout(request: web.Request, session: ConsoleSession) -> web.StreamResponse:
        await console.form(request, session)
        console.sessions.end(session)
        moved = web.HTTPSeeOther(SIGNIN_PATH)
        moved.del_cookie(COOKIE, path="/console")
        raise moved

    async def home(request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/console/waiting")

    web_app.router.add_get("/console", home)
    web_app.router.add_get(SIGNIN_PATH, signin_page)
    web_app.router.add_post(SIGNIN_PATH, signin)
    web_app.router.add_post("/console/signout", console.page(signout))
