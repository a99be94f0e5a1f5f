"""Plans that reuse a past run (an episode, offered as ``context.past_runs``): "invoice Acme
like last month" and "do the same for Globex".

The past run's approved steps are the new plan's shape; only the client, or the billing
period, changes — every other argument stays as it was approved then. The runs offered are
the requester's own and their channel's (``bot/flow/context.py``), so another channel's or
another team's run is never reused. No matching run is an honest question, never a guess.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from bot.domain import Clarification, PlanDraft, PlanningOutcome, Step
from bot.lazy_re import lazy
from bot.planning.protocol import PastRun, PlanningContext
from bot.planning.rules.who import find_clients, join_names

_SAME = lazy(r"^(?:please\s+)?(?:(?:can|could)\s+you\s+)?(?:do|run|repeat)\s+(?:the\s+same(?:\s+thing)?|that|it)"
                   r"(?:\s+again)?\s+for\s+(?P<who>[^,;]+?)[.!?]?$", re.I)
_LIKE = lazy(r"^(?:please\s+)?(?P<verb>invoice|bill|chase|remind)\s+(?P<who>[^,;]+?)\s+(?:like|as)\s+"
                   r"(?:we\s+did\s+)?(?P<when>last\s+month|last\s+time|before)[.!?]?$", re.I)
_KIND = {"invoice": "create_invoice", "bill": "create_invoice", "chase": "send_reminder", "remind": "send_reminder"}
_CLIENT_KEYS = ("client", "customer", "company")
_PERIOD = ("period_start", "period_end")


def asks_to_reuse(goal: str) -> bool:
    """Whether ``goal`` has a shape :func:`plan` reads, so the context need not load past runs
    for every other goal."""
    text = " ".join(goal.split())
    return bool(_SAME.match(text) or _LIKE.match(text))


def plan(goal: str, context: PlanningContext) -> PlanningOutcome | None:
    """A plan or a question when ``goal`` asks to reuse a past run; None when it does not."""
    same = _SAME.match(goal)
    if same:
        return _same_for(same.group("who"), context)
    like = _LIKE.match(goal)
    if like:
        return _like_last(like.group("verb").lower(), like.group("who"), like.group("when").lower(), context)
    return None


def _one_client(who: str, context: PlanningContext) -> str | Clarification:
    found = find_clients(who, context.clients)
    if len(found) == 1:
        return found[0]
    known = join_names(list(context.clients)) or "none yet"
    return Clarification(question=f"I know no one client called “{who.strip()}”. Your clients are {known}. "
                                  "Which one do you mean?")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _client_of(run: PastRun, clients: tuple[str, ...]) -> str | None:
    """The one client a run's steps name as a client, when they name it nowhere else (no
    people, addresses or notes of theirs) — a run it is safe to redo for another client."""
    named = {str(s.args.get(k)) for s in run.steps for k in _CLIENT_KEYS if isinstance(s.args.get(k), str)}
    if len(named) != 1:
        return None
    client = named.pop()
    if client not in clients:
        return None
    first = client.split()[0].lower()
    others = [v for s in run.steps for k, a in s.args.items() if k not in _CLIENT_KEYS for v in _strings(a)]
    return None if any(first in v.lower() for v in others) else client


def _swapped(value: Any, swaps: dict[str, str]) -> Any:
    if isinstance(value, str):
        return swaps.get(value, value)
    if isinstance(value, dict):
        return {k: _swapped(v, swaps) for k, v in value.items()}
    if isinstance(value, list):
        return [_swapped(v, swaps) for v in value]
    return value


def _redo(run: PastRun, swaps: dict[str, str], words: dict[str, str]) -> PlanDraft:
    """The run's steps with argument values ``swaps`` and, in its summary and notes, ``words``."""
    def said(text: str) -> str:
        for old, new in words.items():
            text = text.replace(old, new)
        return text

    steps = [Step(id=s.id, action=s.action, args=_swapped(s.args, swaps), for_each=s.for_each, note=said(s.note))
             for s in run.steps]
    return PlanDraft(summary=said(run.summary), steps=steps, runs_used=[run.run_id])


def _same_for(who: str, context: PlanningContext) -> PlanningOutcome:
    client = _one_client(who, context)
    if isinstance(client, Clarification):
        return client
    if not context.past_runs:
        return Clarification(question=f"I find no earlier run of yours or of this channel to do again for {client}. "
                                      f"What should I do for {client}?")
    last = context.past_runs[0]
    old = _client_of(last, context.clients)
    if old is None:
        return Clarification(question=f"The last run here, “{last.summary}” (run #{last.run_id}), is not about one "
                                      f"client I can swap for {client}. What should I do for {client}?")
    if old == client:
        return Clarification(question=f"The last run here, “{last.summary}” (run #{last.run_id}), was already for "
                                      f"{client}. Should I do it again for the same client? Say what to do.")
    return _redo(last, {old: client}, {old: client})


def _months(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month(index: int) -> tuple[date, date, str]:
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, 1), date(year, month + 1, last), f"{calendar.month_name[month + 1]} {year}"


def _period(run: PastRun) -> tuple[date, date] | None:
    """The one whole month a run's steps cover (period_start/period_end), else None."""
    found = {(s.args.get(_PERIOD[0]), s.args.get(_PERIOD[1])) for s in run.steps if _PERIOD[0] in s.args}
    if len(found) != 1:
        return None
    start_text, end_text = found.pop()
    try:
        start, end = date.fromisoformat(str(start_text)), date.fromisoformat(str(end_text))
    except ValueError:
        return None
    first, last, _ = _month(_months(start))
    return (start, end) if (start, end) == (first, last) else None


def _like_last(verb: str, who: str, when: str, context: PlanningContext) -> PlanningOutcome:
    client = _one_client(who, context)
    if isinstance(client, Clarification):
        return client
    this_month = _months(context.now.date())
    runs = [r for r in context.past_runs if any(_KIND[verb] in s.action for s in r.steps)
            and _client_of(r, context.clients) == client
            and (when != "last month" or _months(r.finished_at.astimezone(context.now.tzinfo).date()) == this_month - 1)]
    said = "last month" if when == "last month" else "before"
    if not runs:
        return Clarification(question=f"I find no run of yours or of this channel that did that for {client} {said}. "
                                      f"What should I do — for example “{verb} {client} for last month”?")
    run = runs[0]
    period = _period(run)
    shift = this_month - _months(run.finished_at.astimezone(context.now.tzinfo).date())
    if verb in ("chase", "remind"):
        return _redo(run, {}, {})  # a reminder run has no period: the same invoices' status, asked today
    if period is None or shift <= 0:
        return Clarification(question=f"Run #{run.run_id} (“{run.summary}”) did not cover one month I can move on. "
                                      f"Which period should I {verb} {client} for?")
    old_start, old_end = period
    start, end, label = _month(_months(old_start) + shift)
    old_label = _month(_months(old_start))[2]
    return _redo(run, {old_start.isoformat(): start.isoformat(), old_end.isoformat(): end.isoformat()},
                 {old_label: label})
