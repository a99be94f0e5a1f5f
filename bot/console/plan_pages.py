"""Waiting for you, a plan's page, and Approve / Reject: the same decision as a click in chat."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from bot.app import dispatcher
from bot.console.base import Console
from bot.console.sessions import ConsoleSession
from bot.domain import ApprovalDecision
from bot.flow.console_views import decision, plan_access, waiting_for

PER_PAGE = 10  # cards on one page of Waiting for you
NOT_YOURS = ("This plan belongs to another team, or needs an approver you are not: you can "
             "neither see nor decide it.")


def add_plan_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy
    door = dispatcher(deputy)

    async def waiting(request: web.Request, session: ConsoleSession) -> web.Response:
        text = request.query.get("page", "1")
        page = int(text) if text.isdigit() and int(text) > 0 else 1
        # who they are now, as a decision will ask: every plan listed is one they may decide
        actor, problem = await console.now_as(session)
        plans, total = await waiting_for(deputy, actor, page, PER_PAGE) if actor is not None else ([], 0)
        return console.render("waiting.html", session, plans=plans, total=total, page=page,
                              pages=max(1, -(-total // PER_PAGE)), nav="waiting", problem=problem)

    async def plan(request: web.Request, session: ConsoleSession) -> web.Response:
        actor, problem = await console.now_as(session)
        access = await plan_access(deputy, actor or session.actor, int(request.match_info["plan"]))
        if access is None:
            raise console.refuse(session, NOT_YOURS)
        if actor is None:  # the platform cannot say who they are now: no decision is offered
            access = replace(access, may_decide=False, why_not="")
        return console.render("plan.html", session, access=access, nav="waiting",
                              done=request.query.get("done", ""), problem=problem)

    async def decide(request: web.Request, session: ConsoleSession) -> web.StreamResponse:
        form = await console.form(request, session)
        plan_id = int(request.match_info["plan"])
        actor = await console.deciding(session)  # the groups they are in now, not at sign-in
        access = await plan_access(deputy, actor, plan_id)
        if access is None:
            raise console.refuse(session, NOT_YOURS)
        choice = {"approve": ApprovalDecision.APPROVE, "reject": ApprovalDecision.REJECT}.get(form.get("decision", ""))
        if choice is None:
            raise console.refuse(session, "Choose approve or reject.", 403)
        if form.get("version") != str(access.view.version.version):
            return console.render("plan.html", session, 409, access=access, nav="waiting", problem=(
                f"You decided on version {form.get('version')}, but the plan is now at version "
                f"{access.view.version.version}. Nothing was changed; read this version first."))
        if not access.may_decide and not (choice is ApprovalDecision.REJECT
                                          and actor.key == access.view.goal.requester_key):
            raise console.refuse(session, f"You can't {choice.value} this plan: {access.why_not}.")
        await door(decision(actor, access.view, choice))
        raise web.HTTPSeeOther(f"/console/plans/{plan_id}?done={choice.value}")

    web_app.router.add_get("/console/waiting", console.page(waiting))
    web_app.router.add_get(r"/console/plans/{plan:\d+}", console.page(plan))
    web_app.router.add_post(r"/console/plans/{plan:\d+}/decide", console.page(decide))
