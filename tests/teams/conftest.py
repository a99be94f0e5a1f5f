"""The core chat fixtures (fixed clock: Wednesday 25 Nov 2026 10:00 UTC, demo data)."""

from tests.core.conftest import build, chat, deputy, fake_clock, settings

__all__ = ["build", "chat", "deputy", "fake_clock", "settings"]
