"""Goals and runs: the team's runs with filters, a run's timeline, and its live progress as
server-sent events (a run page without JavaScript still reads; with it, it follows along)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from bot.console import render
from bot.console.base import Console
from bot.console.sessions import ConsoleSession
from bot.domain import RunStatus
from bot.flow.console_views import team_of
from bot.store import goals, runs
from bot.store.console_queries import RunFilter, team_run, team_runs
from bot.store.tables import GoalRow, RunRow, StepResultRow, StepRow

FINISHED = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
# a fixed path: `deputy serve`'s front door answers it on its own loop (bot/serve.py), as a
# stream must be written by the loop that owns the connection; the reads go to the core's
EVENTS_PATH = "/console/run-events"
# how often a live page looks at the run again; the stream ends when the run does
POLL_SECONDS = 0.5
STATUSES = [s.value for s in RunStatus]
T = TypeVar("T")


@dataclass(frozen=True)
class TimelineStep:
    step: StepRow | None
    result: StepResultRow | None
    step_id: str
    action: str


def _date(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"{field}: {text!r} is not a date (YYYY-MM-DD)") from err


def run_filter(query: dict[str, str]) -> RunFilter:
    status = query.get("status", "")
    if status and status not in STATUSES:
        raise web.HTTPBadRequest(text=f"status: {status!r} is not one of {', '.join(STATUSES)}")
    until = _date(query.get("until", ""), "until")
    before = query.get("before", "").strip()
    if before and not before.isdigit():
        raise web.HTTPBadRequest(text="before: a run's number, e.g. 120")
    return RunFilter(status=status, requester=query.get("requester", "").strip(),
                     before=int(before) if before else None,
                     integration=query.get("integration", "").strip(),
                     since=_date(query.get("since", ""), "since"),
                     until=until + timedelta(days=1) if until else None)


async def timeline(console: Console, session: ConsoleSession, run_id: int) -> tuple[RunRow, GoalRow, list[TimelineStep]]:
    async with console.deputy.database.session(team=session.actor.team_key) as db:
        found = await team_run(db, team_of(session.actor), run_id)
        if found is None:
            raise console.refuse(session, "There is no run with that number in your team.", 404)
        run, goal = found
        view = await goals.view_by_version_id(db, run.plan_version_id)
        results = await runs.step_results(db, run_id)
    planned = view.steps if view is not None else []
    lines = []
    for step in planned:
        # a for_each step records one result per item (s2[0], s2[1] …) besides its own
        mine = [r for key, r in sorted(results.items()) if key == step.step_id or key.startswith(step.step_id + "[")]
        lines += [TimelineStep(step, r, r.step_id, r.action or step.action) for r in mine] or [
            TimelineStep(step, None, step.step_id, step.action)]
    return run, goal, lines


def add_run_routes(web_app: web.Application, console: Console) -> None:
    deputy = console.deputy
    core = asyncio.get_running_loop()  # where the database's connections live

    async def on_core(work: Coroutine[Any, Any, T]) -> T:
        if asyncio.get_running_loop() is core:
            return await work
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, core))

    async def run_list(request: web.Request, session: ConsoleSession) -> web.Response:
        wanted = run_filter(dict(request.query))
        async with deputy.database.session(team=session.actor.team_key) as db:
            found = await team_runs(db, team_of(session.actor), wanted)
        query = dict(request.query)
        older = ""
        if len(found) >= wanted.limit and found[-1][0].id is not None:
            older = "/console/runs?" + urlencode({**{k: v for k, v in query.items() if k != "before"},
                                                  "before": found[-1][0].id})
        return console.render("runs.html", session, runs=found, query=query, older=older,
                              statuses=STATUSES, nav="runs")

    async def run_page(request: web.Request, session: ConsoleSession) -> web.Response:
        run, goal, steps = await timeline(console, session, int(request.match_info["run"]))
        return console.render("run.html", session, run=run, goal=goal, steps=steps, nav="runs",
                              live=run.status not in FINISHED)

    async def run_events(request: web.Request, session: ConsoleSession) -> web.StreamResponse:
        text = request.query.get("run", "")
        if not text.isdigit():
            raise web.HTTPBadRequest(text="run: give the run's number, e.g. ?run=12")
        run_id = int(text)

        async def read() -> tuple[RunRow, GoalRow, list[TimelineStep]]:
            return await on_core(timeline(console, session, run_id))

        run, goal, steps = await read()
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                             "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        await stream.prepare(request)
        last = ""
        while True:
            shown = render.fragment("timeline.html", run=run, goal=goal, steps=steps)
            if shown != last:
                data = json.dumps({"status": run.status, "html": shown})
                await stream.write(f"event: progress\ndata: {data}\n\n".encode())
                last = shown
            if run.status in FINISHED:
                await stream.write(b"event: finished\ndata: {}\n\n")
                return stream
            await asyncio.sleep(POLL_SECONDS)
            run, goal, steps = await read()

    web_app.router.add_get("/console/runs", console.page(run_list))
    web_app.router.add_get(r"/console/runs/{run:\d+}", console.page(run_page))
    web_app.router.add_get(EVENTS_PATH, console.page(run_events))
