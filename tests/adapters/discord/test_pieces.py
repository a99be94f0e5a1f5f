"""The adapter's pure parts: settings, role mapping, rendering limits, the Modify form."""

from __future__ import annotations

import dataclasses

import pytest

from bot.adapters.discord.modify import (
    EditableStep,
    editable_steps,
    edits_between,
    modify_modal,
    submitted_values,
)
from bot.adapters.discord.render import card_embed, render
from bot.adapters.discord.roles import groups_for_roles
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.discord.translate import member_groups
from bot.chat.events import StepEdit
from bot.chat.replies import Notice, Question, RunResult
from bot.errors import SettingsError
from bot.settings import load_settings
from tests.adapters.discord.cards import plan_card
from tests.adapters.discord.conftest import Running


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "s3cret-token")
    monkeypatch.setenv("DEPUTY_DISCORD_API_URL", "http://127.0.0.1:9/api/v10")
    monkeypatch.setenv("DEPUTY_DISCORD_ROLE_GROUPS", '{"finance": "1234"}')
    settings = DiscordSettings.from_settings(load_settings())
    assert settings.configured
    assert settings.discord_api_url == "http://127.0.0.1:9/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert settings.discord_role_groups == {"finance": "1234"}
    assert "s3cret-token" not in repr(settings)


def test_settings_refuse_a_role_name_instead_of_an_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPUTY_DISCORD_ROLE_GROUPS", '{"finance": "Finance Team"}')
    with pytest.raises(SettingsError, match="DEPUTY_DISCORD_ROLE_GROUPS: role id for group 'finance'"):
        load_settings()


def test_without_a_token_discord_is_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DEPUTY_DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("TOKEN", "some other tool's token")  # not ours to read
    assert not DiscordSettings.from_settings(load_settings()).configured


def test_role_ids_map_to_policy_groups() -> None:
    mapping = {"finance": "11", "ops": "22", "legal": "33"}
    assert groups_for_roles([11, "33", 44], mapping) == {"finance", "legal"}
    assert groups_for_roles([], mapping) == frozenset()


async def test_members_get_groups_from_their_discord_roles(discord_bot: Running) -> None:
    guild = discord_bot.client.get_guild(int(discord_bot.fake.guild_id))
    assert guild is not None
    alice = await guild.fetch_member(int(discord_bot.fake.people["alice"]["id"]))
    bob = await guild.fetch_member(int(discord_bot.fake.people["bob"]["id"]))
    assert member_groups(alice, discord_bot.client.settings.discord_role_groups) == {"finance"}
    assert member_groups(bob, discord_bot.client.settings.discord_role_groups) == frozenset()


def test_every_reply_kind_renders_within_discord_limits() -> None:
    assert render(Question("Which month?")).content == "❓ Which month?"
    assert render(Notice("x" * 3000, "error")).content is not None
    assert len(render(Notice("x" * 3000)).content or "") == 2000
    result = render(RunResult(3, 9, False, "Step 2 failed", ("card declined",))).embed
    assert result is not None and result.title == "❌ Step 2 failed"


def test_a_long_plan_keeps_within_the_embed_field_limit() -> None:
    card = plan_card()
    many = tuple(dataclasses.replace(card.steps[0], number=n) for n in range(1, 31))
    embed = card_embed(dataclasses.replace(card, steps=many))
    assert len(embed.fields) == 25
    assert embed.fields[-1].value == "and 6 more steps"


def test_an_oversized_argument_is_cut_but_the_field_stays_parseable() -> None:
    card = plan_card()
    step = dataclasses.replace(card.steps[0], args={"note": "n" * 5000, "segment": "monthly"})
    embed = card_embed(dataclasses.replace(card, steps=(step,)))
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    (editable,) = editable_steps([embed])
    assert editable.args["segment"] == "monthly"
    assert editable.args["note"].endswith("…")


def test_the_form_offers_at_most_five_steps() -> None:
    steps = [EditableStep(n, "crm.note", {"text": f"t{n}"}) for n in range(1, 8)]
    modal = modify_modal(4, 2, steps)
    assert modal.custom_id == "deputy-modify:4:2"
    assert len(modal.children) == 5


def test_submitted_text_becomes_edits_of_what_changed() -> None:
    before = [EditableStep(1, "crm.note", {"text": "hello", "count": "2"})]
    components = [
        {
            "type": 18,
            "component": {"type": 4, "custom_id": "step:1", "value": "text = hi\ncount = 2"},
        },
        {"type": 1, "components": [{"type": 4, "custom_id": "step:2", "value": "junk line"}]},
    ]
    values = submitted_values(components)
    assert values == {1: "text = hi\ncount = 2", 2: "junk line"}
    assert edits_between(before, values) == (StepEdit(1, "text", "hi"),)


def test_a_digest_is_an_embed_with_its_lines_footer_and_ready_plan() -> None:
    from bot.chat.replies import Digest

    digest = Digest(monitor_id=3, title="Overdue invoices", lines=("INV-1 Acme £120", "INV-2 Globex £80"),
                    footer="every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00",
                    details_ref="run 42", offer="chase overdue invoices")
    parts = render(digest)
    assert parts.embed is not None and parts.view is None and parts.content is None
    assert parts.embed.title == "Overdue invoices"
    assert parts.embed.description == "• INV-1 Acme £120\n• INV-2 Globex £80"
    assert parts.embed.footer.text == "every Monday at 09:00 (Europe/London) · next Mon 30 Nov 09:00 · run 42"
    assert [(f.name, f.value) for f in parts.embed.fields] == [("Ready to plan", "/deputy chase overdue invoices")]
    long = render(Digest(monitor_id=3, title="t" * 500, lines=("x" * 5000,), footer="f", details_ref="run 1"))
    assert long.embed is not None and len(long.embed.title or "") == 256
    assert len(long.embed.description or "") == 4096
