"""The core fixtures (a full Deputy over the test database, the chat harness) for the
tests that check what an approval binds: who, where, which version, which key."""

from tests.core.conftest import chat, deputy, settings

__all__ = ["chat", "deputy", "settings"]
