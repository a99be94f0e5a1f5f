"""Neutral replies as plain terminal text."""

from __future__ import annotations

import json
from typing import Any

from bot.chat.replies import (
    CardState,
    ConnectForm,
    Digest,
    Notice,
    PlanCard,
    Question,
    Reply,
    RunResult,
    StepLine,
    StepState,
)

STATE_MARK = {
    StepState.PENDING: "·",
    StepState.RUNNING: "…",
    StepState.DONE: "✓",
    StepState.FAILED: "✗",
    StepState.SKIPPED: "-",
}
VERDICT_LABEL = {"allow": "runs alone", "require_approval": "needs approval", "deny": "DENIED"}


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    return json.dumps(value, default=str)


def step_line(line: StepLine) -> str:
    args = "  ".join(f"{k}={_value(v)}" for k, v in line.shown_args.items())
    head = f"  {STATE_MARK[line.state]} {line.number}. {line.description}"
    text = f"{head}\n       {line.action}" + (f"  {args}" if args else "")
    text += f"\n       [{VERDICT_LABEL.get(line.verdict, line.verdict)}] {line.reason}"
    if line.detail:
        text += f"\n       → {line.detail}"
    return text


def render_card(card: PlanCard) -> str:
    title = (f"Monitor {card.monitor_id} for goal #{card.goal_id} — {card.state.value}"
             if card.monitor_id is not None else
             f"Plan {card.plan_id} v{card.version} for goal #{card.goal_id} — {card.state.value}")
    lines = [title, f"  “{card.goal_text}” (asked by {card.requester})", f"  {card.summary}"]
    if card.note:
        lines.extend(f"  {n}" for n in card.note.splitlines())
    lines.extend(step_line(s) for s in card.steps)
    if card.state is CardState.AWAITING:
        if card.denied:
            lines.append("  This plan has a denied step: `modify` it or `reject` it.")
        else:
            given = f" (approved by {', '.join(card.approved_by)})" if card.approved_by else ""
            need = max(1, card.approvals_required)
            answers = "approve · reject" if card.monitor_id is not None else \
                "approve · reject · modify STEP key=value"
            lines.append(f"  Needs {need} approval{'s' if need > 1 else ''}{given}. Answer: {answers}")
    elif card.approved_by:
        lines.append(f"  Approved by {', '.join(card.approved_by)}.")
    return "\n".join(lines)


def render_digest(digest: Digest) -> str:
    lines = [f"▣ {digest.title}", *(f"  • {line}" for line in digest.lines),
             f"  {digest.footer} · details: {digest.details_ref}"]
    if digest.offer:
        lines.append(f"  → say: {digest.offer}")
    return "\n".join(lines)


def render(reply: Reply) -> str:
    if isinstance(reply, PlanCard):
        return render_card(reply)
    if isinstance(reply, Notice):
        prefix = {"error": "✗ ", "warning": "! ", "success": "✓ "}.get(reply.tone, "")
        return prefix + reply.text
    if isinstance(reply, Question):
        return f"? {reply.text}\n  (answer with: reply YOUR ANSWER)"
    if isinstance(reply, ConnectForm):
        return f"Connecting {reply.integration}: answer below (secrets are not echoed)."
    if isinstance(reply, Digest):
        return render_digest(reply)
    if isinstance(reply, RunResult):
        mark = "✓" if reply.succeeded else "✗"
        return "\n".join([f"{mark} Run {reply.run_id}: {reply.headline}", *[f"  {x}" for x in reply.lines]])
    raise TypeError(f"cannot render {type(reply).__name__}")
