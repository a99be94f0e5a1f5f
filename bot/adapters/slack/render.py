"""Neutral replies → Block Kit, within Block Kit's limits.

Limits that matter (Slack's reference): 50 blocks per message, 3000 characters per section
text, 150 per header, 75 per button label, 2000 per button value, 100 blocks per modal.
Text from people, the model and integrations is escaped (&, <, >) in the ``text`` fallback
(notifications, screen readers) as in the blocks, so it cannot smuggle in ``<!channel>``,
``<!here>``, ``<!everyone>``, ``<@U…>`` or a fake ``<url|label>`` link. Plain-text elements
(headers, button labels) are never parsed for mentions or links.
"""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_BUTTON_LABEL,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK,
    MAX_HEADER,
    MAX_SECTION,
    Block,
    clip,
    escape,
    section,
)
from bot.adapters.slack.connect import connect_blocks
from bot.chat.buttons import BadButton, parse_button
from bot.chat.replies import (
    SHOWN_ROWS,
    Answer,
    Button,
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

STEP_ICONS = {
    StepState.PENDING: "○",
    StepState.RUNNING: "⏳",
    StepState.DONE: "✓",
    StepState.FAILED: "✗",
    StepState.SKIPPED: "–",
}
VERDICTS = {
    "allow": "runs without approval",
    "require_approval": "needs approval",
    "deny": "denied",
}
TONES = {"info": "ℹ️", "success": "✅", "warning": "⚠️", "error": "❌"}


def render(reply: Reply) -> tuple[str, list[Block]]:
    """The plain ``text`` fallback (notifications, screen readers) and the blocks."""
    if isinstance(reply, PlanCard):
        return card_text(reply), card_blocks(reply)
    if isinstance(reply, Notice):
        line = f"{TONES.get(reply.tone, '')} {escape(reply.text)}".strip()
        return clip(escape(reply.text), MAX_FALLBACK), [section(line), *notice_actions(reply)]
    if isinstance(reply, Question):
        return clip(escape(reply.text), MAX_FALLBACK), [section(f"❓ {escape(reply.text)}")]
    if isinstance(reply, ConnectForm):
        return connect_blocks(reply)
    if isinstance(reply, Digest):
        return clip(escape(reply.title), MAX_FALLBACK), digest_blocks(reply)
    return result_text(reply), result_blocks(reply)


def notice_actions(notice: Notice) -> list[Block]:
    """A notice's buttons ([Remember] [No] on a memory proposal) as one actions block."""
    if not notice.buttons:
        return []
    elements: list[Block] = []
    for button in notice.buttons:
        element: Block = {"type": "button", "action_id": button.id, "value": button.id.rsplit(":", 1)[-1],
                          "text": {"type": "plain_text", "text": clip(button.label, MAX_BUTTON_LABEL)}}
        if button.style in ("primary", "danger"):
            element["style"] = button.style
        elements.append(element)
    return [{"type": "actions", "block_id": "deputy_notice", "elements": elements}]


# the follow-up button of a digest; its value is the goal text to plan when clicked
OFFER_PREFIX = "deputy-offer:"


def digest_blocks(digest: Digest) -> list[Block]:
    """Header, the lines (bulleted, split at the section limit), a context footer naming
    the schedule and where the details are, and a button offering the follow-up plan."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(digest.title, MAX_HEADER) or "Digest"}}]
    chunk: list[str] = []
    for line in digest.lines:
        item = f"• {escape(line)}"
        if chunk and len("\n".join([*chunk, item])) > MAX_SECTION:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(item)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    for answer in digest.answers:
        blocks.extend(answer_blocks(answer))
    tail: list[Block] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": clip(
        f"{escape(digest.footer)} · details: `deputy runs show {escape(digest.details_ref.removeprefix('run ').strip())}`",
        MAX_SECTION)}]}]
    if digest.offer:
        tail.append({"type": "actions", "block_id": "deputy_digest", "elements": [{
            "type": "button", "action_id": f"{OFFER_PREFIX}{digest.monitor_id}", "style": "primary",
            "text": {"type": "plain_text", "text": clip(f"Plan: {digest.offer}", MAX_BUTTON_LABEL)},
            "value": clip(digest.offer, MAX_BUTTON_VALUE)}]})
    body = blocks[1:]
    room = MAX_BLOCKS - 1 - len(tail)
    if len(body) > room:
        body = body[: room - 1] + [section("… more lines not shown.")]
    return blocks[:1] + body + tail


def card_text(card: PlanCard) -> str:
    if card.monitor_id is not None:
        return clip(f"Monitor {card.monitor_id} for “{escape(card.goal_text)}”: {card.state.value}", MAX_FALLBACK)
    return clip(f"Plan v{card.version} for “{escape(card.goal_text)}”: {card.state.value}", MAX_FALLBACK)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def step_text(step: StepLine) -> str:
    icon = STEP_ICONS.get(step.state, "○")
    lines = [f"{icon} *{step.number}. {escape(step.action)}* — {escape(step.description)}"]
    for key, value in step.shown_args.items():
        lines.append(f"    • {escape(str(key))}: {escape(clip(_show(value), 300))}")
    verdict = VERDICTS.get(step.verdict, step.verdict)
    reason = f": {escape(step.reason)}" if step.reason else ""
    lines.append(f"    _{verdict}{reason}_")
    if step.detail:
        lines.append(f"    {escape(step.detail)}")
    return "\n".join(lines)


def card_blocks(card: PlanCard) -> list[Block]:
    head: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(card.goal_text, MAX_HEADER) or "Plan"},
        },
        section(f"{escape(card.summary)}\n*v{card.version}* · {card.state.value}"),
    ]
    if card.note:
        head.append(section(f"_{escape(card.note)}_"))
    if card.denied:
        head.append(section("⛔ A step is denied by the policy: this plan cannot run as it stands."))
    tail: list[Block] = [_context(card)]
    if card.buttons:
        tail.append(_actions(card))
    room = MAX_BLOCKS - len(head) - len(tail)
    steps = list(card.steps)
    shown = steps if len(steps) <= room else steps[: room - 1]
    body = [section(step_text(s)) for s in shown]
    if len(shown) < len(steps):
        body.append(section(f"… and {len(steps) - len(shown)} more steps not shown here."))
    return head + body + tail


def _context(card: PlanCard) -> Block:
    approvals = f"approvals {len(card.approved_by)}/{card.approvals_required}"
    if card.approved_by:
        approvals += " (" + ", ".join(escape(a) for a in card.approved_by) + ")"
    text = f"Asked by {escape(card.requester)} · {approvals}"
    if card.planned_by:  # which model planned it, on every redraw
        text += f" · Planned by {escape(card.planned_by)}."
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_SECTION)}]}


def _actions(card: PlanCard) -> Block:
    return {"type": "actions", "block_id": "deputy_plan", "elements": [_button(card, b) for b in card.buttons]}


def _button(card: PlanCard, button: Button) -> Block:
    element: Block = {
        "type": "button",
        "action_id": button.id,
        "text": {"type": "plain_text", "text": clip(button.label, MAX_BUTTON_LABEL)},
        "value": str(card.version),
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    try:
        is_modify = parse_button(button.id).action == "modify"
    except BadButton:
        is_modify = False
    if is_modify:
        element["value"] = modify_value(card)
    return element


def editable_args(card: PlanCard) -> list[tuple[int, str, str]]:
    """Literal scalar arguments a person may retype; references to other steps are not."""
    found: list[tuple[int, str, str]] = []
    for step in card.steps:
        for key, value in step.args.items():
            if isinstance(value, bool | int | float | str):
                found.append((step.number, str(key), _show(value)))
    return found


def modify_value(card: PlanCard) -> str:
    """What the Modify modal needs, carried in the button's value (≤ 2000 characters).

    Arguments that would overflow the value are left out; the modal says some are missing.
    """
    kept: list[list[Any]] = []
    payload: dict[str, Any] = {"e": kept}
    for number, key, value in editable_args(card):
        kept.append([number, key, value])
        if len(json.dumps(payload, ensure_ascii=False)) > MAX_BUTTON_VALUE - 12:
            kept.pop()
            payload["more"] = True
            break
    return json.dumps(payload, ensure_ascii=False)


def result_text(result: RunResult) -> str:
    return clip(escape(result.headline), MAX_FALLBACK)


def answer_blocks(answer: Answer) -> list[Block]:
    """A section with the title and the first rows (each a line, cells escaped), a context
    line with the total and where to see every row."""
    lines = [f"*{escape(answer.title)}*"]
    shown = 0
    for row in answer.rows[:SHOWN_ROWS]:
        line = "• " + " · ".join(escape(c) for c in row if c)
        if len("\n".join([*lines, line])) > MAX_SECTION - 200:
            break
        lines.append(line)
        shown += 1
    tail = []
    if answer.total:
        tail.append(f"*Total:* {escape(answer.total)}")
    if len(answer.rows) > shown:
        tail.append(f"… and {len(answer.rows) - shown} more: `deputy runs show {answer.run_id}`")
    blocks: list[Block] = [section("\n".join(lines))]
    if tail:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": clip(" · ".join(tail), MAX_SECTION)}]})
    return blocks


def result_blocks(result: RunResult) -> list[Block]:
    icon = "✅" if result.succeeded else "❌"
    blocks: list[Block] = [section(f"{icon} *{escape(result.headline)}*")]
    for answer in result.answers:
        blocks.extend(answer_blocks(answer))
    chunk: list[str] = []
    size = 0
    for line in result.lines:
        item = f"• {escape(line)}"
        if chunk and size + len(item) + 1 > MAX_SECTION:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(item)
        size += len(item) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [section("… more lines not shown.")]
    return blocks

