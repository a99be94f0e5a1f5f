"""Repository files, found from the repository root: every test runs in its own temporary
working directory (tests/conftest.py), so a relative path would point nowhere."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICIES = REPO_ROOT / "policies"
INTEGRATIONS = REPO_ROOT / "integrations"
DOCS = REPO_ROOT / "docs"
