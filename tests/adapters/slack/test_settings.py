from __future__ import annotations

import pytest

from bot.adapters.slack.settings import SLACK_API_URL, SlackSettings
from bot.settings import load_settings


def test_reads_slacks_usual_names_and_hides_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sign-secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-secret")
    monkeypatch.setenv("DEPUTY_SLACK_API_URL", "http://127.0.0.1:9/api")
    everything = load_settings()
    settings = SlackSettings.from_settings(everything)
    assert settings.bot_token.get_secret_value() == "xoxb-123-secret"
    assert settings.configured and settings.socket_mode
    assert settings.base_url == "http://127.0.0.1:9/api/"
    shown = repr(settings) + str(settings.model_dump()) + repr(everything) + str(everything.model_dump())
    assert not any(v in shown for v in ("xoxb-123-secret", "sign-secret", "xapp-1-secret"))


def test_defaults_serve_a_workspace_without_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DEPUTY_SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = SlackSettings.from_settings(load_settings())
    assert not settings.configured and not settings.socket_mode
    assert settings.base_url == SLACK_API_URL == "https://slack.com/api/"
    assert settings.post_interval_seconds == 1.0
