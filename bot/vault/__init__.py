"""The credential vault: per-user secrets encrypted at rest with AES-256-GCM envelopes.

Start-up::

    keyring = await load_keyring(settings.home, master_key_text)
    await check_keyring(database, keyring)        # SettingsError if a key is wrong/missing
    store = CredentialStore(database, keyring)

Operators: :func:`rotate`, :func:`retire`, :func:`list_keys`.
"""

from bot.vault.admin import KeyStatus, list_keys, retire
from bot.vault.envelope import SecretFields
from bot.vault.errors import CredentialUnreadable, KeyInUse
from bot.vault.keyring import Keyring, load_keyring
from bot.vault.keys import MasterKey, generate_key
from bot.vault.rotation import RotationReport, rotate
from bot.vault.startup import check_keyring
from bot.vault.store import CredentialInfo, CredentialStore

__all__ = [
    "CredentialInfo",
    "CredentialStore",
    "CredentialUnreadable",
    "KeyInUse",
    "KeyStatus",
    "Keyring",
    "MasterKey",
    "RotationReport",
    "SecretFields",
    "check_keyring",
    "generate_key",
    "list_keys",
    "load_keyring",
    "retire",
    "rotate",
]
