"""The core chat fixtures (fixed clock: Wednesday 25 Nov 2026 10:00 UTC, demo data)."""

from tests.core.conftest import chat, deputy, settings

__all__ = ["chat", "deputy", "settings"]
