"""The full core over the test database (see tests/core/conftest.py)."""

from tests.core.conftest import chat, deputy, settings

__all__ = ["chat", "deputy", "settings"]
