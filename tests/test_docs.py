"""The README is the first thing a new user reads: every setting must be in its table."""

import re
from pathlib import Path

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


DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def _prose(text: str) -> str:
    """The text minus fenced code blocks and inline code (``[label](url)`` there is an example)."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def _anchors(page: Path) -> set[str]:
    """GitHub's ids for a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", _prose(page.read_text()), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_in_the_readme_and_docs_leads_somewhere() -> None:
    dead = []
    for page in DOCS:
        for link in re.findall(r"\]\(([^)\s]+)\)", _prose(page.read_text())):
            if re.match(r"[a-z]+:", link):  # https:, mailto:
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path) if path else page
            if not target.exists():
                dead.append(f"{page.relative_to(REPO_ROOT)}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
                dead.append(f"{page.relative_to(REPO_ROOT)}: {link} (no such heading)")
    assert dead == []


def test_every_source_file_the_readme_names_exists() -> None:
    named = set(re.findall(r"`((?:bot|tests|scripts|policies|integrations|docs)/[\w/.-]+\.(?:py|yaml|md))`", README))
    examples = {"policies/teams/slack-T0123.yaml"}  # a file the reader would write
    assert len(named - examples) > 5
    assert sorted(p for p in named - examples if not (REPO_ROOT / p).exists()) == []
