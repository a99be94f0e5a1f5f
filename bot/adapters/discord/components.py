"""The interactive pieces Discord sends back to us: plan buttons and the Modify form.

Buttons are ``DynamicItem``s: discord.py matches a click's ``custom_id`` against the
template, so a click on a card posted before a restart still reaches the handler.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import discord

from bot.chat.buttons import ButtonId, parse_button

BUTTON_TEMPLATE = r"deputy:(?P<plan>\d+):(?P<version>\d+):(?P<action>approve|reject|modify|undo|accept|monitor-approve|monitor-reject|memory-remember|memory-no|memory-forget)"
BUTTON_PATTERN = re.compile(BUTTON_TEMPLATE)

BUTTON_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "default": discord.ButtonStyle.secondary,
}


@runtime_checkable
class ButtonHandler(Protocol):
    async def button_clicked(self, interaction: discord.Interaction, button: ButtonId) -> None: ...


class DeputyButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    def __init__(self, button: ButtonId, label: str = "", style: str = "default") -> None:
        super().__init__(
            discord.ui.Button(
                label=(label or button.action.title())[:80],
                style=BUTTON_STYLES.get(style, discord.ButtonStyle.secondary),
                custom_id=str(button),
            )
        )
        self.button = button

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DeputyButton:
        original = item if isinstance(item, discord.ui.Button) else None
        label = original.label if original is not None and original.label else ""
        return cls(parse_button(match.group(0)), label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = interaction.client
        if not isinstance(handler, ButtonHandler):
            raise TypeError("Deputy buttons need a client that handles them")
        await handler.button_clicked(interaction, self.button)


def is_deputy_button(custom_id: str) -> bool:
    return BUTTON_PATTERN.fullmatch(custom_id) is not None


def shows_button(message: discord.Message | None, custom_id: str) -> bool:
    """Whether ``message`` still carries a button ``custom_id`` (discord.py dispatches a
    dynamic item only then)."""
    if message is None:
        return False
    return any(getattr(child, "custom_id", None) == custom_id
               for row in message.components for child in getattr(row, "children", [row]))


def modal_inputs(components: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str]]:
    """(custom_id, text typed) of each input of a MODAL_SUBMIT, through its action rows or labels."""
    for component in components:
        inner: list[Mapping[str, Any]] = list(component.get("components", []))
        if "component" in component:
            inner.append(component["component"])
        if inner:
            yield from modal_inputs(inner)
        else:
            yield str(component.get("custom_id", "")), str(component.get("value") or "")
