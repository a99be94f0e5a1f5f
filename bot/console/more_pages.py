"""Monitors (list; approve / reject, pause / resume / run now) and My connections (connect and disconnect
one's own accounts; a stored secret is never shown). Each action is the chat command's own
flow function, given the person signed in."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.chat.events import CommandInvoked, CredentialsSubmitted
from bot.chat.replies import ConnectForm, Notice
from bot.console.base import Console
from bot.console.sessions import ConsoleSession
from bot.domain import Where
from bot.errors import UserError
from bot.flow.connections import connect_form, disconnect, on_credentials
from bot.flow.console_views import team_of
from bot.flow.monitor_commands import manage_monitor
from bot.scheduling.service import may_manage
from bot.store import monitors
from bot.store.console_queries import team_monitors
from bot.store.monitors import MonitorRow, MonitorStatus

# what can be done to a monitor in each status (the service refuses anything else)
ACTIONS: dict[str, list[tuple[str, str]]] = {
    MonitorStatus.PROPOSED: [("approve", "Approve"), ("reject", "Reject")],
    MonitorStatus.ACTIVE: [("pause", "Pause"), ("run", "Run now")],
    MonitorStatus.PAUSED: [("resume", "Resume"), ("run", "Run now")],
}
VERBS = {verb for actions in ACTIONS.values() for verb, _ in actions}


@dataclass(frozen=True)
class Listed:
    """A monitor as the page shows it: the buttons this person may press, or why none."""
    row: MonitorRow
    actions: list[tuple[str, str]]
    why_not: str


def add_more_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy

    async def monitor_list(request: web.Request, session: ConsoleSession, notice: Notice | None = None,
                           status: int = 200) -> web.Response:
        # the buttons follow the decision's own rule, with the person's groups as they are now,
        # so the page never offers what would be refused
        actor, why_nobody = await console.now_as(session)
        listed: list[Listed] = []
        async with deputy.database.session(team=session.actor.team_key) as db:
            for row in await team_monitors(db, team_of(session.actor)):
                if row.status == MonitorStatus.DELETED:
                    continue
                actions = ACTIONS.get(row.status, [])
                if not actions or actor is None:
                    listed.append(Listed(row, [], why_nobody if actions else ""))
                    continue
                allowed, why = await may_manage(deputy, row, actor, db)
                listed.append(Listed(row, actions if allowed else [], "" if allowed else why))
        return console.render("monitors.html", session, status, monitors=listed, notice=notice, nav="monitors")

    async def monitor_list_page(request: web.Request, session: ConsoleSession) -> web.Response:
        return await monitor_list(request, session)

    async def monitor_act(request: web.Request, session: ConsoleSession) -> web.Response:
        form = await console.form(request, session)
        monitor_id, verb = int(request.match_info["monitor"]), form.get("verb", "")
        async with deputy.database.session(team=session.actor.team_key) as db:
            row = await monitors.get_monitor(db, monitor_id)
        if row is None or not row.owner_key.startswith(team_of(session.actor).key_prefix) or verb not in VERBS:
            raise console.refuse(session, "There is no such monitor in your team, or no such action.")
        where = Where(platform=row.platform, channel_id=row.channel_id, team=row.team_key)
        actor = await console.deciding(session)  # approver groups as they are now
        notice = await manage_monitor(deputy, CommandInvoked(actor, where, "monitor", f"{verb} {monitor_id}"))
        return await monitor_list(request, session, notice)

    def _where(session: ConsoleSession) -> Where:
        return Where(platform=session.actor.platform, channel_id="console")

    async def connections(request: web.Request, session: ConsoleSession, notice: Notice | None = None,
                          form: ConnectForm | None = None, status: int = 200) -> web.Response:
        mine = await deputy.vault.list_for(session.actor.key) if deputy.vault is not None else []
        offered = sorted(m.name for m in deputy.registry.manifests() if m.credentials)
        return console.render("connections.html", session, status, mine=mine, offered=offered,
                              notice=notice, form=form, nav="connections")

    async def connections_page(request: web.Request, session: ConsoleSession) -> web.Response:
        wanted = request.query.get("connect", "")
        if not wanted:
            return await connections(request, session)
        try:
            answer = await connect_form(deputy, CommandInvoked(session.actor, _where(session), "connect", wanted))
        except UserError as err:
            return await connections(request, session, Notice(str(err), tone="warning"), status=400)
        if isinstance(answer, ConnectForm):
            return await connections(request, session, form=answer)
        return await connections(request, session, answer)

    async def connect(request: web.Request, session: ConsoleSession) -> web.Response:
        form = await console.form(request, session)
        integration = form.pop("integration", "")
        fields = {k.removeprefix("field_"): v for k, v in form.items() if k.startswith("field_")}
        try:
            notice = await on_credentials(deputy, CredentialsSubmitted(session.actor, _where(session),
                                                                       integration, fields))
        except UserError as err:
            notice = Notice(str(err), tone="warning")
        return await connections(request, session, notice, status=200 if notice.tone == "success" else 400)

    async def disconnect_one(request: web.Request, session: ConsoleSession) -> web.Response:
        form = await console.form(request, session)
        try:
            notice = await disconnect(deputy, CommandInvoked(session.actor, _where(session), "disconnect",
                                                             form.get("integration", "")))
        except UserError as err:
            notice = Notice(str(err), tone="warning")
        return await connections(request, session, notice)

    web_app.router.add_get("/console/monitors", console.page(monitor_list_page))
    web_app.router.add_post(r"/console/monitors/{monitor:\d+}", console.page(monitor_act))
    web_app.router.add_get("/console/connections", console.page(connections_page))
    web_app.router.add_post("/console/connections/connect", console.page(connect))
    web_app.router.add_post("/console/connections/disconnect", console.page(disconnect_one))
