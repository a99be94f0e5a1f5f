"""Neutral replies → Discord messages: embeds for cards and results, buttons as a View.

What to show is decided in bot.chat.replies; this module only chooses Discord's way of
showing it — and makes text from people, the model and integrations inert: markdown and
masked links escaped, mentions and @everyone/@here broken with a zero-width space. The
client's allowed_mentions pings nobody; only a mention Deputy writes itself (the person a
private answer is for, when no interaction can carry it) is allowed, by id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.chat.buttons import parse_button
from bot.chat.replies import (
    SHOWN_ROWS,
    Answer,
    Button,
    CardState,
    Digest,
    Notice,
    PlanCard,
    Question,
    Reply,
    RunResult,
    StepLine,
    StepState,
)

from .components import DeputyButton
from .marks import card_footer
from .modify import arg_lines

MAX_FIELDS = 25  # Discord's limit per embed
MAX_BUTTONS = 25  # Discord's limit per message (5 rows of 5)
FIELD_VALUE_LIMIT = 1024
# Discord refuses a message whose embeds hold more than 6,000 characters in all (title,
# description, field names and values, footer, author), whatever each part's own limit
EMBED_TOTAL = 6000
CARD_DESCRIPTION = 2000  # leaves most of the total for the steps
OFFER_NAME = "Ready to plan"
DIGEST_LINES_ROOM = 500  # a digest's own lines keep at least this much of the total

CARD_COLOURS = {
    CardState.AWAITING: discord.Colour.gold(),
    CardState.APPROVED: discord.Colour.blue(),
    CardState.RUNNING: discord.Colour.blurple(),
    CardState.SUCCEEDED: discord.Colour.green(),
    CardState.FAILED: discord.Colour.red(),
    CardState.REJECTED: discord.Colour.dark_grey(),
    CardState.SUPERSEDED: discord.Colour.light_grey(),
    CardState.CANCELLED: discord.Colour.dark_grey(),
}
STEP_MARKS = {
    StepState.PENDING: "▫️",
    StepState.RUNNING: "⏳",
    StepState.DONE: "✅",
    StepState.FAILED: "❌",
    StepState.SKIPPED: "⏭️",
}
TONE_MARKS = {"info": "ℹ️", "success": "✅", "warning": "⚠️", "error": "❌"}
VERDICTS = {
    "allow": "runs without approval",
    "require_approval": "needs approval",
    "deny": "⛔ denied",
}


@dataclass(frozen=True)
class MessageParts:
    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Only what is set: discord.py treats a passed ``None`` differently from absent."""
        kwargs: dict[str, Any] = {}
        if self.content is not None:
            kwargs["content"] = self.content
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Everything, so an edit clears what the new reply no longer has (e.g. buttons)."""
        return {"content": self.content, "embed": self.embed, "view": self.view}


# what would turn into a mention, a channel link, a slash-command link, a custom emoji or a
# timestamp; a zero-width space after "<" leaves the text readable and inert
_ANGLE_SYNTAX = re.compile(r"<(?=[@#]|/[\w-]|a?:\w+:\d|t:-?\d)")
_MASS_MENTION = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_LINE_MARKUP = re.compile(r"(?m)^(\s*)(#{1,3}\s|-#\s)")  # headings and subtext
ZWSP = "\u200b"


def _no_pings(text: str) -> str:
    text = _ANGLE_SYNTAX.sub("<" + ZWSP, text)
    text = _MASS_MENTION.sub("@" + ZWSP, text)
    return _LINE_MARKUP.sub(lambda m: m[1] + "\\" + m[2], text)


def defang(text: str) -> str:
    """No mention, no mass mention, no masked link, no heading — other markdown is kept (for
    Deputy's own notices, which quote people's words inside its own formatting)."""
    return _no_pings(text).replace("[", "\\[")


def inert(text: str) -> str:
    """Text from a person, the model or an integration, shown as typed: markdown escaped
    (bold, code, spoilers, quotes, masked links ``[label](url)``), and no pings."""
    return _no_pings(discord.utils.escape_markdown(text))


def render(reply: Reply) -> MessageParts:
    if isinstance(reply, PlanCard):
        return MessageParts(embed=card_embed(reply), view=card_view(reply))
    if isinstance(reply, RunResult):
        return MessageParts(embed=result_embed(reply))
    if isinstance(reply, Question):
        return MessageParts(content=clip(f"❓ {defang(reply.text)}", 2000))
    if isinstance(reply, Notice):
        return MessageParts(
            content=clip(f"{TONE_MARKS.get(reply.tone, '')} {defang(reply.text)}".strip(), 2000),
            view=buttons_view(reply.buttons),
        )
    if isinstance(reply, Digest):
        return MessageParts(embed=digest_embed(reply))
    raise TypeError(f"no Discord rendering for {type(reply).__name__}")


def card_embed(card: PlanCard) -> discord.Embed:
    status = f"**{card.state.value.capitalize()}** · approvals {len(card.approved_by)}/{card.approvals_required}"
    lines = [f"**Goal:** {inert(card.goal_text)}", f"Asked by {inert(card.requester)}", status]
    if card.approved_by:
        lines.append("Approved by " + ", ".join(inert(a) for a in card.approved_by))
    if card.denied:
        lines.append("⛔ The policy denies a step: this plan cannot run as it stands.")
    if card.planned_by:
        lines.append(f"Planned by {inert(card.planned_by)}.")
    if card.note:
        lines.append(f"_{inert(card.note)}_")
    embed = discord.Embed(
        title=clip(f"Plan v{card.version}: {inert(card.summary)}", 256),
        description=clip("\n".join(lines), CARD_DESCRIPTION),
        colour=CARD_COLOURS.get(card.state, discord.Colour.default()),
    )
    # a plan card's footer is how a redo finds it in the thread (marks.find_card)
    embed.set_footer(text=f"monitor {card.monitor_id} · version {card.version}" if card.monitor_id is not None
                     else card_footer(card.plan_id, card.version))
    more = "and 9999 more steps"  # room kept for the closing field when steps are left out
    room = EMBED_TOTAL - len(embed) - len("…") - len(more)
    shown = 0
    for step in card.steps[: MAX_FIELDS - 1] if len(card.steps) > MAX_FIELDS else card.steps:
        name, value = step_field(step)
        if len(name) + len(value) > room:
            # a shorter form of this step (no argument block), or stop here
            name, value = step_field(step, limit=room - len(name))
            if len(name) + len(value) > room or len(value) < 20:
                break
        embed.add_field(name=name, value=value, inline=False)
        room -= len(name) + len(value)
        shown += 1
    if shown < len(card.steps):
        embed.add_field(name="…", value=f"and {len(card.steps) - shown} more steps", inline=False)
    return embed


def step_field(step: StepLine, limit: int = FIELD_VALUE_LIMIT) -> tuple[str, str]:
    """``N. action`` and the step's text; modify.editable_steps reads this format back.
    Over ``limit`` the argument block goes (never cut in half) and the text is clipped."""
    limit = min(limit, FIELD_VALUE_LIMIT)
    parts = [f"{STEP_MARKS.get(step.state, '')} {inert(step.description)}".strip()]
    # inside the code block nothing renders; only a backtick could end it early
    args = [line.replace("`", "ˋ") for line in arg_lines(step.args, step.shown_args)]
    if args:
        parts.append("```\n" + "\n".join(args) + "\n```")
    verdict = VERDICTS.get(step.verdict, step.verdict)
    parts.append(f"_{verdict}{': ' + inert(step.reason) if step.reason else ''}_")
    if step.detail:
        parts.append(inert(step.detail))
    value = "\n".join(parts)
    if len(value) > limit:
        # drop the argument block rather than cut it in half, which would break its parsing
        value = clip("\n".join(p for p in parts if not p.startswith("```")), max(limit, 1))
    return clip(f"{step.number}. {step.action}", 256), value


def card_view(card: PlanCard) -> discord.ui.View | None:
    return buttons_view(card.buttons)


def buttons_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """A card's or a notice's buttons; Discord lays them out five to a row, 25 at most."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:MAX_BUTTONS]:
        view.add_item(DeputyButton(parse_button(button.id), label=button.label, style=button.style))
    return view


def digest_embed(digest: Digest) -> discord.Embed:
    """Title, one line per finding, the schedule in the footer; a follow-up goal is shown
    as a field to say back to Deputy (buttons here only carry plan decisions)."""
    embed = discord.Embed(
        title=clip(inert(digest.title), 256),
        colour=discord.Colour.orange() if digest.late else discord.Colour.teal(),
    )
    offer = clip(f"/deputy {inert(digest.offer)}", FIELD_VALUE_LIMIT) if digest.offer else ""
    footer = clip(defang(f"{digest.footer} · {digest.details_ref}"), 1024)
    # answers may not take the room the offer, the footer and a few lines need: the whole
    # embed must stay within Discord's 6,000 characters
    reserved = len(offer) + len(OFFER_NAME) + len(footer) + DIGEST_LINES_ROOM
    add_answers(embed, digest.answers, budget=EMBED_TOTAL - len(embed) - reserved)
    if offer:
        embed.add_field(name=OFFER_NAME, value=offer, inline=False)
    embed.set_footer(text=footer)
    # the lines get what is left
    room = min(4096, EMBED_TOTAL - len(embed))
    text = "\n".join(f"• {inert(line)}" for line in digest.lines)
    embed.description = (clip(text, room) if room > 0 else "") or None
    return embed


def result_embed(result: RunResult) -> discord.Embed:
    embed = discord.Embed(
        title=clip(("✅ " if result.succeeded else "❌ ") + inert(result.headline), 256),
        description=clip("\n".join(inert(line) for line in result.lines), 4096) or None,
        colour=discord.Colour.green() if result.succeeded else discord.Colour.red(),
    )
    add_answers(embed, result.answers)
    embed.set_footer(text=f"run {result.run_id} · goal {result.goal_id}")
    return embed


# an embed holds 25 fields and 6,000 characters in all; answers stay well inside both
MAX_ANSWER_FIELDS = 5


def add_answers(
    embed: discord.Embed, answers: tuple[Answer, ...], budget: int | None = None
) -> None:
    """Each answer as a field: its first rows (markdown escaped), "… and N more", the total,
    while they fit in ``budget`` characters (by default what the title and text leave)."""
    if budget is None:
        budget = 5500 - len(embed.title or "") - len(embed.description or "")
    for answer in answers[:MAX_ANSWER_FIELDS]:
        lines: list[str] = []
        size = 0
        shown = 0
        for row in answer.rows[:SHOWN_ROWS]:
            line = "• " + " · ".join(inert(c) for c in row if c)
            if size + len(line) + 80 > FIELD_VALUE_LIMIT:
                break
            lines.append(line)
            size += len(line) + 1
            shown += 1
        if len(answer.rows) > shown:
            lines.append(f"… and {len(answer.rows) - shown} more: `deputy runs show {answer.run_id}`")
        if answer.total:
            lines.append(f"**Total:** {inert(answer.total)}")
        value = clip("\n".join(lines) or "nothing", FIELD_VALUE_LIMIT)
        name = clip(inert(answer.title), 256)
        if budget - len(value) - len(name) < 0:
            break
        budget -= len(value) + len(name)
        embed.add_field(name=name, value=value, inline=False)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
