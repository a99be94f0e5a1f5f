"""``/console/signin/<provider>`` (``slack``, ``discord``: each adapter's
:class:`bot.chat.signin.SignInProvider`, a 404 for a name none registered): the person signs in
with the platform their team uses, and becomes the same actor, with the same groups, as in chat.

Each answer is checked before anyone is signed in: the state must be one this console
started, unused, within ten minutes, and the one this browser holds in its own cookie (a
callback URL carried to another browser is refused); the platform must accept the code
(Slack: the ID token's issuer, audience, expiry and nonce); the person's team must be one
where Deputy is installed and active (:func:`bot.flow.team_admin.admitted`, as chat asks).
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.console.base import Console, secure_cookie
from bot.console.identity import STATE_COOKIE, Member, begin, offer, picked, resume
from bot.errors import UserError
from bot.flow.team_admin import admitted

log = logging.getLogger(__name__)
PICK_PATH = "/console/signin/pick"


def redirect_uri(console: Console, request: web.Request, name: str) -> str:
    """Where the platform sends the browser back: under DEPUTY_PUBLIC_URL when set (the
    address registered with the platform), else the address this request came to."""
    base = console.deputy.settings.public_url.rstrip("/") or f"{request.scheme}://{request.host}"
    return f"{base}/console/signin/{name}/callback"


def add_platform_signin_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy

    def refused(status: int, text: str) -> web.Response:
        response = console.render("signin.html", None, status, token="", problem=text,
                                  providers=list(console.providers.values()))
        response.del_cookie(STATE_COOKIE, path="/console/signin")
        return response

    async def start(request: web.Request) -> web.StreamResponse:
        provider = console.providers.get(request.match_info["provider"])
        if provider is None:
            raise web.HTTPNotFound(text="This Deputy offers no such sign-in.")
        started = await begin(deputy.database, provider.name, deputy.clock())
        moved = web.HTTPSeeOther(provider.authorize_url(
            redirect_uri(console, request, provider.name), started.state, started.nonce, started.challenge))
        # Lax: sent back on the platform's top-level redirect to the callback, not on a
        # request another site makes from a page of its own
        moved.set_cookie(STATE_COOKIE, started.state, max_age=600, httponly=True,
                         secure=secure_cookie(request), samesite="Lax", path="/console/signin")
        raise moved

    async def callback(request: web.Request) -> web.StreamResponse:
        provider = console.providers.get(request.match_info["provider"])
        if provider is None:
            raise web.HTTPNotFound(text="This Deputy offers no such sign-in.")
        query = request.query
        if query.get("error"):
            return refused(400, f"{provider.label} did not sign you in ({query['error'][:80]}). "
                                "Try again, and choose Allow.")
        state = query.get("state", "")
        held = request.cookies.get(STATE_COOKIE, "")
        if not state or not hmac.compare_digest(held.encode(), state.encode()):
            return refused(400, "This sign-in was not started in this browser (its state does not "
                                "match), so nobody was signed in. Start again from this page.")
        started = await resume(deputy.database, provider.name, state, deputy.clock())
        if started is None:
            return refused(400, "This sign-in is unknown, used or expired, so nobody was signed in. "
                                "Start again from this page.")
        try:
            people = await provider.people(query.get("code", ""), redirect_uri(console, request, provider.name),
                                           started.nonce, started.verifier)
        except UserError as refusal:
            return refused(403, str(refusal))
        allowed: list[Member] = []
        reasons: list[str] = []
        for member in people:
            actor, why = await admitted(deputy, member.actor)
            if actor is None:
                reasons.append(f"{member.team_name or member.actor.team_id}: {why}")
            else:
                allowed.append(Member(actor, member.team_name, member.org))
        if not allowed:
            return refused(403, " ".join(reasons) or "Deputy is in none of your teams.")
        if len(allowed) == 1:
            moved = await console.sign_in(request, allowed[0].actor, provider.name, allowed[0].org)
            moved.del_cookie(STATE_COOKIE, path="/console/signin")
            raise moved
        token = await offer(deputy.database, allowed, deputy.clock())
        response = console.render("pick.html", None, token=token, members=allowed, label=provider.label)
        # the choice is this browser's too: a page of another site cannot post its own token
        response.set_cookie(STATE_COOKIE, token, max_age=600, httponly=True, secure=secure_cookie(request),
                            samesite="Lax", path="/console/signin")
        return response

    async def pick(request: web.Request) -> web.StreamResponse:
        data = await request.post()
        token = str(data.get("token", ""))
        if not token or not hmac.compare_digest(request.cookies.get(STATE_COOKIE, "").encode(), token.encode()):
            return refused(400, "This choice was not offered to this browser, so nobody was signed in. "
                                "Sign in again.")
        actor = await picked(deputy.database, token, str(data.get("team", "")), deputy.clock())
        if actor is None:
            return refused(400, "That choice is unknown, used or expired. Sign in again.")
        # the team may have been turned off while the person was choosing
        actor, why = await admitted(deputy, actor)
        if actor is None:
            return refused(403, why)
        moved = await console.sign_in(request, actor, actor.platform)
        moved.del_cookie(STATE_COOKIE, path="/console/signin")
        raise moved

    web_app.router.add_post(PICK_PATH, pick)
    # any name: the providers the adapters registered (bot/chat/signin.py); another is a 404
    web_app.router.add_get("/console/signin/{provider}", start)
    web_app.router.add_get("/console/signin/{provider}/callback", callback)
