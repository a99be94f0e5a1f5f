"""The connect form on Discord: a private (ephemeral) message whose button opens a modal.

A modal can only answer an interaction, and the core's ConnectForm arrives after the
command's interaction was acknowledged; so the form becomes an ephemeral message with a
button, and the click opens the modal. Discord cannot mask what is typed in a modal: the
title says so. A modal holds at most five inputs, so longer forms come in pages; answers of
earlier pages wait here, in memory only, until the last page is sent, then go to the core as
one CredentialsSubmitted and are dropped. Forms live as long as Discord's interaction token.

discord.py logs every gateway payload at DEBUG, which would include what was typed; the
:class:`GatewayLogGuard` blanks the values of connect submissions in those records.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.chat.command_syntax import parse_command
from bot.chat.replies import ConnectForm, FormField

from .components import modal_inputs

FORM_PREFIX = "deputy-connect"
BUTTON_PATTERN = re.compile(rf"{FORM_PREFIX}:(?P<token>[\w-]{{8,40}}):(?P<page>\d)")
MODAL_PATTERN = re.compile(rf"{FORM_PREFIX}-form:(?P<token>[\w-]{{8,40}}):(?P<page>\d)")
FIELD_PREFIX = "field:"
MAX_INPUTS = 5  # Discord's limit per modal
FORM_TTL_SECONDS = 14 * 60  # an interaction token lasts 15 minutes
# the commands a person may type after /deputy or a mention, as in the other adapters
EXPIRED = "This form has expired. Ask again with `/deputy connect INTEGRATION`."
NOT_YOURS = "This form belongs to someone else."
USE_SLASH = "To connect {0} privately, use `/deputy connect {0}`."


def command_of(text: str) -> tuple[str, str] | None:
    """(name, argument) when ``text`` is a management command rather than a goal."""
    return parse_command(text)


@dataclass
class OpenForm:
    user_id: str
    form: ConnectForm
    opened_at: float
    answers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.form.fields) // MAX_INPUTS))

    def page_fields(self, page: int) -> tuple[FormField, ...]:
        return self.form.fields[page * MAX_INPUTS:(page + 1) * MAX_INPUTS]


@dataclass
class ConnectForms:
    """Forms shown and not yet sent, by a random token carried in the button's id."""

    ttl: float = FORM_TTL_SECONDS
    _open: dict[str, OpenForm] = field(default_factory=dict)

    def add(self, user_id: str, form: ConnectForm) -> str:
        self._sweep()
        token = secrets.token_urlsafe(12)
        self._open[token] = OpenForm(user_id, form, time.monotonic())
        return token

    def get(self, token: str) -> OpenForm | None:
        self._sweep()
        return self._open.get(token)

    def finish(self, token: str) -> None:
        self._open.pop(token, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        self._open = {k: v for k, v in self._open.items() if now - v.opened_at < self.ttl}


def form_message(form: ConnectForm, token: str, page: int, pages: int) -> dict[str, Any]:
    """send kwargs for the ephemeral message that carries the button of ``page``."""
    step = f" (part {page + 1} of {pages})" if pages > 1 else ""
    content = (f"🔑 **{form.title}**{step}\nOnly you see this. What you type goes to Deputy, "
               "not the channel; Discord shows it unmasked while you type.")
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label=f"Enter details{step}"[:80], style=discord.ButtonStyle.primary,
                                    custom_id=f"{FORM_PREFIX}:{token}:{page}"))
    view.stop()  # answered statelessly in on_interaction; nothing to keep in discord.py's store
    return {"content": content, "view": view}


def form_modal(opened: OpenForm, token: str, page: int) -> discord.ui.Modal:
    title = f"Connect {opened.form.integration} (typing is not hidden)"
    modal = discord.ui.Modal(title=title[:45], custom_id=f"{FORM_PREFIX}-form:{token}:{page}")
    for item in opened.page_fields(page):
        hint = item.description or ("Not masked on screen: make sure no one is watching."
                                    if item.secret else "")
        modal.add_item(discord.ui.TextInput(
            label=(item.label or item.name)[:45], custom_id=f"{FIELD_PREFIX}{item.name}"[:100],
            placeholder=hint[:100] or None, required=item.required, max_length=4000))
    modal.stop()
    return modal


def typed_values(components: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Field name → text typed, from a MODAL_SUBMIT's components (action rows or labels)."""
    return {custom_id[len(FIELD_PREFIX):]: value for custom_id, value in modal_inputs(components)
            if custom_id.startswith(FIELD_PREFIX) and value}


class GatewayLogGuard(logging.Filter):
    """Blanks typed values in discord.py's DEBUG record of a connect modal submission."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], dict):
            payload = args[1]
            data = (payload.get("d") or {}) if payload.get("t") == "INTERACTION_CREATE" else {}
            custom_id = str((data.get("data") or {}).get("custom_id", ""))
            if MODAL_PATTERN.fullmatch(custom_id):
                record.args = (args[0], {"t": "INTERACTION_CREATE", "d": {
                    "id": data.get("id"), "type": data.get("type"),
                    "data": {"custom_id": custom_id, "components": "(hidden)"}}})
        return True


GATEWAY_LOG_GUARD = GatewayLogGuard()


def guard_gateway_log() -> None:
    logging.getLogger("discord.gateway").addFilter(GATEWAY_LOG_GUARD)  # twice is a no-op


# ---- the three moments: form shown, button clicked, page submitted -------------------

async def send_form(interaction: discord.Interaction | None, forms: ConnectForms, user_id: str,
                    form: ConnectForm) -> bool:
    """Show ``form`` privately as an answer to ``interaction``. False when there is none
    to answer (the caller then points the person to /deputy instead of using the channel)."""
    if interaction is None:
        return False
    token = forms.add(user_id, form)
    opened = forms.get(token)
    assert opened is not None
    await interaction.followup.send(ephemeral=True, **form_message(form, token, 0, opened.pages))
    return True


async def open_modal(interaction: discord.Interaction, forms: ConnectForms,
                     match: re.Match[str]) -> None:
    opened = forms.get(match["token"])
    page = int(match["page"])
    if opened is None or page >= opened.pages:
        await interaction.response.send_message(EXPIRED, ephemeral=True)
    elif opened.user_id != str(interaction.user.id):
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
    else:
        await interaction.response.send_modal(form_modal(opened, match["token"], page))


async def page_submitted(interaction: discord.Interaction, forms: ConnectForms,
                         match: re.Match[str], components: Sequence[Mapping[str, Any]]
                         ) -> tuple[str, dict[str, str]] | None:
    """Answer a page's submission; (integration, every answer) once the last page is in."""
    token, page = match["token"], int(match["page"])
    opened = forms.get(token)
    if opened is None or page >= opened.pages:
        await interaction.response.send_message(EXPIRED, ephemeral=True)
        return None
    if opened.user_id != str(interaction.user.id):
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return None
    wanted = {item.name for item in opened.page_fields(page)}
    opened.answers.update({k: v for k, v in typed_values(components).items() if k in wanted})
    if page + 1 < opened.pages:
        await interaction.response.send_message(
            ephemeral=True, **form_message(opened.form, token, page + 1, opened.pages))
        return None
    forms.finish(token)  # single use; the answers now leave this process's memory
    await interaction.response.defer()
    return opened.form.integration, dict(opened.answers)
