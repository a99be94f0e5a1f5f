"""The full core over the test database (tests/core/conftest.py) and the fake Slack Web API."""

from tests.adapters.slack.conftest import slack_api
from tests.core.conftest import chat, deputy, settings

__all__ = ["chat", "deputy", "settings", "slack_api"]
