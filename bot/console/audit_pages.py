"""Audit (the chain's head and verification, the team's records, JSON Lines export) and
Policy (the file in force and an "explain" form that shows every rule and the one that
decides)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from bot.console.base import Console
from bot.console.sessions import ConsoleSession
from bot.domain import Step
from bot.flow.console_views import team_of
from bot.policy import explain
from bot.policy.request_facts import RequestFacts
from bot.store import audit_checkpoint, team_policies
from bot.store.audit_verify import record_json
from bot.store.console_queries import AuditFilter, audit_head, team_audit

EXPORT_LIMIT = 100_000


def audit_filter(query: dict[str, str], limit: int = 100) -> AuditFilter:
    goal = query.get("goal", "").strip()
    before = query.get("before", "").strip()
    if (goal and not goal.isdigit()) or (before and not before.isdigit()):
        raise web.HTTPBadRequest(text="goal and before are record numbers, e.g. 12")
    return AuditFilter(kind=query.get("kind", "").strip(), actor=query.get("actor", "").strip(),
                       goal_id=int(goal) if goal else None, limit=limit,
                       before_seq=int(before) if before else None)


def add_audit_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy

    async def audit_page(request: web.Request, session: ConsoleSession) -> web.Response:
        wanted = audit_filter(dict(request.query))
        team = team_of(session.actor)
        async with deputy.database.session(team=session.actor.team_key) as db:
            # the records after the verified checkpoint, not the whole chain, on every view
            chain = await audit_checkpoint.status(db, deputy.database.audit_keys, team.key)  # type: ignore[arg-type]
            records = await team_audit(db, team, wanted)
            count, head = await audit_head(db, team)
        return console.render("audit.html", session, records=records, count=count, head=head,
                              query=dict(request.query), report=None, chain=chain, nav="audit")

    async def audit_verify(request: web.Request, session: ConsoleSession) -> web.Response:
        await console.form(request, session)
        team = team_of(session.actor)
        async with deputy.database.session(team=session.actor.team_key) as db:
            report = await audit_checkpoint.full(db, deputy.database.audit_keys, team.key)  # type: ignore[arg-type]
            chain = await audit_checkpoint.status(db, deputy.database.audit_keys, team.key)  # type: ignore[arg-type]
            records = await team_audit(db, team, AuditFilter())
        return console.render("audit.html", session, records=records, count=report.records,
                              head=report.head, query={}, report=report, chain=chain, nav="audit")

    async def audit_export(request: web.Request, session: ConsoleSession) -> web.StreamResponse:
        wanted = audit_filter(dict(request.query), limit=EXPORT_LIMIT)
        async with deputy.database.session(team=session.actor.team_key) as db:
            records = await team_audit(db, team_of(session.actor), wanted)
        body = "".join(record_json(row) + "\n" for row in reversed(records))
        return web.Response(text=body, content_type="application/x-ndjson", headers={
            "Content-Disposition": 'attachment; filename="deputy-audit.jsonl"', "Cache-Control": "no-store"})

    web_app.router.add_get("/console/audit", console.page(audit_page))
    web_app.router.add_post("/console/audit/verify", console.page(audit_verify))
    web_app.router.add_get("/console/audit/export.jsonl", console.page(audit_export))


async def explained(console: Console, session: ConsoleSession, form: dict[str, str]) -> tuple[str, str]:
    """(what the policy says, or "") and (what is wrong with the form, or "")."""
    action = form.get("action", "").strip()
    spec = console.deputy.registry.spec(action)
    if spec is None:
        return "", f"No integration offers {action!r}: use integration.action, e.g. local.create_invoice."
    try:
        args = json.loads(form.get("args", "").strip() or "{}")
    except json.JSONDecodeError as err:
        return "", f"Arguments are not JSON: {err.msg} at column {err.colno}."
    if not isinstance(args, dict):
        return "", 'Arguments must be a JSON object, e.g. {"amount_cents": 240000}.'
    who = form.get("as", "").strip() or session.actor.key
    if not who.startswith(team_of(session.actor).key_prefix):
        return "", f"Explain for people of your team only (keys starting {team_of(session.actor).key_prefix})."
    groups = session.actor.groups if who == session.actor.key else frozenset()
    facts = RequestFacts(requester_key=who, requester_groups=groups, channel_id=form.get("channel") or None,
                         platform=session.actor.platform, now=console.deputy.clock())
    try:
        step = Step(id="s1", action=action, args=args)
    except ValidationError as err:
        return "", str(err.errors()[0]["msg"])
    policy = await console.deputy.policy_for(team_of(session.actor).key)  # the team's own, if it has one
    return explain(policy, spec.effect, step, facts), ""


def add_policy_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy

    async def policy_text(session: ConsoleSession) -> tuple[str, str]:
        """(where the policy in force for the person's team comes from, its text)."""
        team = team_of(session.actor).key
        resolved = await deputy.policies.resolve(team)
        async with deputy.database.session(team=team) as db:
            own = await team_policies.latest(db, team)
        if own is not None and resolved.source.startswith("database"):
            return f"{team}: {resolved.source}", own.yaml
        path = Path(resolved.source.removeprefix("default (").removesuffix(")"))
        try:
            return f"{team}: {resolved.source}", await asyncio.to_thread(path.read_text, encoding="utf-8")
        except OSError as err:
            return f"{team}: {resolved.source}", f"(cannot read the policy file: {err.strerror})"

    async def policy_page(request: web.Request, session: ConsoleSession) -> web.Response:
        path, text = await policy_text(session)
        return console.render("policy.html", session, path=path, text=text, form={}, answer="",
                              problem="", nav="policy")

    async def policy_explain(request: web.Request, session: ConsoleSession) -> web.Response:
        form = await console.form(request, session)
        answer, problem = await explained(console, session, form)
        path, text = await policy_text(session)
        return console.render("policy.html", session, 400 if problem else 200, path=path, text=text,
                              form=form, answer=answer, problem=problem, nav="policy")

    web_app.router.add_get("/console/policy", console.page(policy_page))
    web_app.router.add_post("/console/policy/explain", console.page(policy_explain))
