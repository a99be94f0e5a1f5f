"""The core fixtures (a full Deputy over the test database, the chat harness) for the
tests that check what an approval binds: who, where, which version, which key."""

from tests.core.conftest import build, chat, deputy, fake_clock, settings

__all__ = ["build", "chat", "deputy", "fake_clock", "settings"]
