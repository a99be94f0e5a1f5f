"""Neutral replies as plain terminal text."""

from __future__ import annotations

import json
from typing import Any

from bot.chat.replies import (
    SHOWN_ROWS,
    Answer,
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
    if card.planned_by:  # small local models make more mistakes: say which one planned this
        lines.append(f"  Planned by {card.planned_by}.")
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
             *answers_text(digest.answers),
             f"  {digest.footer} · details: {digest.details_ref}"]
    if digest.offer:
        lines.append(f"  → say: {digest.offer}")
    return "\n".join(lines)


def render(reply: Reply) -> str:
    if isinstance(reply, PlanCard):
        return render_card(reply)
    if isinstance(reply, Notice):
        prefix = {"error": "✗ ", "warning": "! ", "success": "✓ "}.get(reply.tone, "")
        answers = " · ".join(b.label.lower() for b in reply.buttons)
        return prefix + reply.text + (f"\n  Answer: {answers}" if answers else "")
    if isinstance(reply, Question):
        return f"? {reply.text}\n  (answer with: reply YOUR ANSWER)"
    if isinstance(reply, ConnectForm):
        return f"Connecting {reply.integration}: answer below (secrets are not echoed)."
    if isinstance(reply, Digest):
        return render_digest(reply)
    if isinstance(reply, RunResult):
        mark = "✓" if reply.succeeded else "✗"
        return "\n".join([f"{mark} Run {reply.run_id}: {reply.headline}", *[f"  {x}" for x in reply.lines],
                          *answers_text(reply.answers)])
    raise TypeError(f"cannot render {type(reply).__name__}")


def answers_text(answers: tuple[Answer, ...], limit: int = SHOWN_ROWS) -> list[str]:
    """Each answer as an aligned table under its title, the total and "… and N more"."""
    out: list[str] = []
    for answer in answers:
        rows = [list(answer.columns), *[list(r) for r in answer.rows[:limit]]]
        used = [i for i in range(len(answer.columns)) if any(r[i] for r in rows[1:])]
        widths = {i: min(max(len(r[i]) for r in rows), 40) for i in used}
        out.append(f"  {answer.title}")
        for n, row in enumerate(rows):
            cells = [row[i][:40].ljust(widths[i]) for i in used]
            out.append("    " + "  ".join(cells).rstrip())
            if n == 0:
                out.append("    " + "  ".join("-" * widths[i] for i in used))
        if len(answer.rows) > limit:
            out.append(f"    … and {len(answer.rows) - limit} more (deputy runs show {answer.run_id})")
        if answer.total:
            out.append(f"    Total: {answer.total}")
    return out
