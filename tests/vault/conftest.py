"""Fixtures for the vault tests: keyrings and a store on the shared ``database`` fixture."""

from __future__ import annotations

import pytest

from bot.store.database import Database
from bot.vault import CredentialStore, Keyring, generate_key

SECRET = "xoxp-SUPER-secret-token-0123456789"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([generate_key("k1")])


@pytest.fixture
def store(database: Database, keyring: Keyring) -> CredentialStore:
    return CredentialStore(database, keyring)
