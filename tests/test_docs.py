"""The README is the first thing a new user reads: every setting must be in its table."""

from bot.integration_settings import installed_settings_fields
from bot.settings import Settings
from tests.support.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def environment_name(name: str) -> str:
    """The variable a user sets: the platform's own name when it has one (SLACK_BOT_TOKEN)."""
    alias = Settings.model_fields[name].validation_alias
    for choice in getattr(alias, "choices", None) or []:
        if str(choice).isupper():
            return str(choice)
    return f"DEPUTY_{name.upper()}"


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [environment_name(n) for n in Settings.model_fields if environment_name(n) not in README]
    assert missing == []


def test_every_setting_a_builtin_integration_declares_is_in_the_readme_too() -> None:
    fields = installed_settings_fields()  # integrations/*/settings.py, builders' too (mcp)
    assert {"hubspot_client_id", "stripe_api_url", "browser_allowed_hosts", "mcp_servers"} <= set(fields)
    missing = [f"DEPUTY_{name.upper()}" for name in fields if f"DEPUTY_{name.upper()}" not in README]
    assert missing == []


def test_the_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1].splitlines()[1:]  # after the language tag
    assert [line.split()[0:2] for line in first_block if line.strip()] == [["make", "run"], ["make", "test"]]
