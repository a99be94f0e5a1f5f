"""Time worked: logging it ("log 3 hours on Acme today"), hours per client over a period,
and unbilled time."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain import Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PlanningContext
from bot.planning.rules import when
from bot.planning.rules.coverage import DATE_WORDS
from bot.planning.rules.money_plans import unknown_client_question
from bot.planning.rules.thread_facts import Facts
from bot.planning.rules.who import find_clients

_DESCRIPTION = lazy(
    r",\s*(?P<after>[^,]+?)\s*[.!]?$|\bfor\s+(?P<for>[A-Za-z][\w -]*?)(?=\s+(?:yesterday|today|on|this|last)\b|[.!]?$)"
    r"|\b(?:doing|working on)\s+(?P<doing>[\w -]+?)(?=\s+(?:yesterday|today|on|this|last)\b|[.!]?$)", re.I)


def _description(goal: str, client: str) -> str | None:
    for found in _DESCRIPTION.finditer(goal):
        text = (found.group("after") or found.group("for") or found.group("doing") or "").strip()
        if not text or find_clients(text, (client,)) or all(w in DATE_WORDS for w in text.lower().split()):
            continue
        if when.find_duration(text) is None:
            return text[:500]
    return None


def plan_log_time(goal: str, context: PlanningContext) -> PlanningOutcome:
    clients = find_clients(goal, context.clients)
    unknown = None if clients else unknown_client_question(goal, context)
    if unknown:
        return unknown
    if len(clients) != 1:
        return Clarification(question="Which client was the time for?" if not clients else
                             "Log time for one client at a time: which one?")
    minutes = when.find_duration(goal)
    if minutes is None:
        return Clarification(question=f"How long did you work for {clients[0]}? For example \u201clog 2 hours on {clients[0]} today\u201d.")
    if not 1 <= minutes <= 1440:
        return Clarification(question="How long was it? Between 1 minute and 24 hours can be logged.")
    now = context.now.astimezone(ZoneInfo(context.timezone))
    found = when.find_day(goal, now, context.timezone)
    day = found.day if found else now.date()
    if day > now.date():
        # "on Monday" when logging time means the Monday that has been, not the next one
        day -= timedelta(days=7)
    args: dict[str, object] = {"client": clients[0], "minutes": minutes, "day": day.isoformat()}
    description = _description(goal, clients[0])
    if description:
        args["description"] = description
    label = "today" if day == now.date() else when.day_label(day)
    hours = f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"
    if minutes < 60:
        hours = f"{minutes} min"
    return PlanDraft(summary=f"Log {hours} for {clients[0]} on {label}", steps=[
        Step(id="s1", action="local.log_time", args=args,
             note=f"Record {hours} for {clients[0]} ({label}){': ' + description if description else ''}")])


def _period_read(goal: str, facts: Facts, context: PlanningContext, *, action: str, what: str,
                 ask_period: str, summary: str, note: str) -> PlanningOutcome:
    """One read over a period, for one named client or for all: the hours report and the
    unbilled time differ only in their action and words. ``summary``/``note`` take
    {whose} and {period}."""
    unknown = unknown_client_question(goal, context)
    if unknown:
        return unknown
    if facts.period is None:
        return Clarification(question=ask_period)
    args: dict[str, object] = {"period_start": facts.period.start.isoformat(),
                               "period_end": facts.period.end.isoformat()}
    clients = find_clients(goal, context.clients)
    if len(clients) > 1:
        return Clarification(question=f"{what} for one client, or for all of them? Name one client, or none for all.")
    whose = "every client"
    if clients:
        args["client"] = clients[0]
        whose = clients[0]
    words = {"whose": whose, "period": facts.period.label}
    return PlanDraft(summary=summary.format(**words), steps=[
        Step(id="s1", action=action, args=args, note=note.format(**words))])


def plan_time_report(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    return _period_read(
        goal, facts, context, action="local.time_report", what="Hours",
        ask_period="For which period? For example \u201clast month\u201d or \u201cthe past ten days\u201d.",
        summary="Hours logged for {whose} in {period}",
        note="Sum the hours logged for {whose}, {period}, billed and unbilled")


def plan_unbilled(goal: str, facts: Facts, context: PlanningContext) -> PlanningOutcome:
    return _period_read(
        goal, facts, context, action="local.unbilled_time", what="Unbilled time",
        ask_period="Unbilled time for which period? For example \u201cfor last month\u201d.",
        summary="Unbilled time for {whose} in {period}",
        note="Sum the time not yet invoiced for {whose}, {period}")
