"""The full core over the test database (tests/core/conftest.py) and the fake Slack Web API."""

from tests.adapters.slack.conftest import slack_api
from tests.core.conftest import build, chat, deputy, fake_clock, settings

__all__ = ["build", "chat", "deputy", "fake_clock", "settings", "slack_api"]
