"""The per-goal user message: only what this goal needs, after the cached prefix.

It carries, first, the team's directory (policy summary, names the model may recognise:
the same for every goal of the team, so it is cached after the stable prefix), then the
date and time zone, the connected integrations, memories, the thread so far and the goal. It never carries a credential:
nothing here reads the vault, the settings or the environment, only the
:class:`PlanningContext` the core built.

Integration output only appears when re-planning (``replan_context``), inside
``<tool_output>`` tags; ``<`` and ``>`` inside it are JSON-escaped (:func:`data_json`) so the
data cannot close the tag and pose as instructions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.chat.inert import one_line
from bot.planning.protocol import PlanningContext


def data_json(value: Any) -> str:
    """JSON with angle brackets escaped: still valid JSON, but it cannot forge a tag."""
    # compact separators: a re-plan sends outputs uncached, and ", " / ": " are paid per field
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def line_of(text: str) -> str:
    # thread messages and goals are written by people; keep them from forging our tags
    return text.replace("<", "‹").replace(">", "›")


def _name(text: str) -> str:
    # names come from chat profiles and integrations: one line each, so a name cannot start
    # a line of its own that reads like an instruction or a new section
    return line_of(one_line(text))


@dataclass(frozen=True)
class UserMessage:
    """The first user message in two parts. ``team`` is what the team's goals share (policy
    summary, known people, known clients), rendered deterministically so it can be cached
    after the stable prefix; ``goal`` is everything about this goal (time, requester,
    connections, memories, thread, the goal)."""

    team: str
    goal: str
    # the plan's summary when the model leaves it out (the compact answer): the goal itself
    default_summary: str = ""

    @property
    def text(self) -> str:
        return f"{self.team}\n{self.goal}" if self.team else self.goal


def team_block(context: PlanningContext) -> str:
    """The team's directory: the same bytes for every goal of the team until it changes."""
    lines = []
    if context.policy_summary.strip():
        lines += ["Team policy summary:", line_of(context.policy_summary.strip())]
    if context.people:
        people = "; ".join(sorted(
            f"{_name(p.name)} ({_name(p.email)}" + (f", {_name(p.company)})" if p.company else ")")
            for p in context.people))
        lines.append(f"Known people: {people}")
    if context.clients:
        lines.append(f"Known invoicing clients: {', '.join(sorted(_name(c) for c in context.clients))}")
    return "\n".join(["<team>", *lines, "</team>"]) if lines else ""


def context_block(context: PlanningContext, connected: list[str]) -> str:
    now = context.now
    offset = now.strftime("%z")
    lines = [
        "<context>",
        f"Now: {now:%A %Y-%m-%d %H:%M} in {context.timezone} (UTC{offset[:3]}:{offset[3:]})",
        f"Requester: {_name(context.requester.label)}",
        f"Connected integrations: {', '.join(connected) if connected else 'none'}",
        "</context>",
    ]
    if context.memories:
        # facts people taught (bot/memory); one line each so a memory cannot pose as a section
        lines.append("<team_memory>")
        lines += [f"#{m.id}: {_name(m.text)} ({_name(m.provenance)})" for m in context.memories]
        lines.append("</team_memory>")
    if context.past_runs:
        # offered only when the goal points back (bot/flow/context.py); the steps as approved
        lines.append("<past_runs>")
        for run in context.past_runs:
            asked = "" if run.goal.strip().lower() == run.summary.strip().lower() else f" (asked: {_name(run.goal)})"
            lines.append(f"run #{run.run_id}, {run.finished_at:%d %b %Y}: {_name(run.summary)}{asked}")
            lines += [f"  {s.action} {data_json(s.args)}" + (f" for_each {data_json(s.for_each)}" if s.for_each else "")
                      for s in run.steps]
        lines.append("</past_runs>")
    if context.history:
        lines.append("<thread>")
        lines += [f"{_name(author)}: {line_of(text)}" for author, text in context.history]
        lines.append("</thread>")
    return "\n".join(lines)


SUMMARY_LIMIT = 150  # characters of the goal a card shows as the plan's summary


def summary_of(goal: str) -> str:
    """The goal in one line, as the plan's summary when the model writes none."""
    line = one_line(goal)
    return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1].rstrip() + "…"


def goal_message(goal: str, context: PlanningContext, connected: list[str]) -> UserMessage:
    return UserMessage(team_block(context), default_summary=summary_of(goal), goal="\n".join(
        [
            context_block(context, connected),
            "<goal>",
            line_of(goal.strip()),
            "</goal>",
            "Plan this goal with submit_plan, or ask one question with ask_question.",
        ]
    ))
