"""The README is the first thing a new user reads: every setting must be in its table."""

from pathlib import Path

from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.settings import SlackSettings
from bot.settings import Settings

README = Path("README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [f"DEPUTY_{name.upper()}" for name in Settings.model_fields
               if f"DEPUTY_{name.upper()}" not in README]
    assert missing == []


def test_every_platform_setting_is_documented() -> None:
    names = []
    for cls in (SlackSettings, DiscordSettings):
        for field in cls.model_fields.values():
            alias = field.validation_alias
            choices = getattr(alias, "choices", None) or [alias]
            names.append(next((str(c) for c in choices if str(c).isupper()), None))
    assert [n for n in names if n and n not in README] == []


def test_the_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1].splitlines()[1:]  # after the language tag
    assert [line.split()[0:2] for line in first_block if line.strip()] == [["make", "run"], ["make", "test"]]
