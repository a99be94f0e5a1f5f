"""A third-party OAuth integration written from scratch, as an outsider would: manifest,
settings, client and actions, in a folder of its own. Nothing in ``bot/`` knows its name.

``write_acme(folder)`` writes it into ``folder`` (a package: ``folder/__init__.py``). Its one
action, ``acme.whoami``, calls ``GET {DEPUTY_ACME_API_URL}/me`` with the person's access token.
Its provider is RFC-shaped: the app authenticates with HTTP Basic, revocation is RFC 7009.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = """\
name: acme
description: Who you are at Acme (a throwaway integration for tests).
credentials:
  - name: access_token
    label: Acme personal token
oauth:
  title: Acme
  authorize_url: https://login.acme.invalid/oauth/authorize
  token_url: https://login.acme.invalid/oauth/v1/token
  revoke_url: /oauth/revoke
  revoke_method: POST
  client_auth: basic
  scopes: [profile.read, offline]
  authorize_params: {access_type: offline, prompt: consent}
  settings:
    client_id: acme_client_id
    client_secret: acme_client_secret
    authorize_url: acme_auth_url
    token_url: acme_token_url
actions:
  - name: whoami
    description: The Acme account of the person asking.
    effect: read
"""

SETTINGS = '''\
from pydantic import Field, SecretStr

from bot.sdk import IntegrationSettings


class AcmeSettings(IntegrationSettings):
    acme_api_url: str = Field("https://api.acme.invalid", description="Acme API base URL.")
    acme_client_id: str = Field("", description="Acme app client id; set: connect uses OAuth.")
    acme_client_secret: SecretStr | None = Field(None, description="Acme app client secret.")
    acme_auth_url: str = Field("", description="Acme authorize URL; empty: the manifest's.")
    acme_token_url: str = Field("", description="Acme token URL; empty: the manifest's.")
'''

CLIENT = '''\
from typing import Any

import aiohttp

from bot.sdk import PermanentError, ReconnectNeeded


class AcmeClient:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")

    async def me(self, token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http, http.get(f"{self.api_url}/me",
                                                             headers=headers) as answer:
            if answer.status == 401:
                raise ReconnectNeeded("acme")
            if answer.status != 200:
                raise PermanentError(f"Acme answered {answer.status}")
            body: dict[str, Any] = await answer.json()
            return body
'''

ACTIONS = '''\
from typing import Any

from bot.sdk import ActionSet, CallContext, IntegrationEnv

from .client import AcmeClient


def build_client(env: IntegrationEnv) -> AcmeClient:
    return AcmeClient(env.config.acme_api_url)


actions = ActionSet("acme", client_factory=build_client)


@actions.action("whoami")
async def whoami(client: AcmeClient, ctx: CallContext) -> dict[str, Any]:
    return await client.me(ctx.credentials["access_token"])
'''


def write_acme(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in {"__init__.py": "", "manifest.yaml": MANIFEST, "settings.py": SETTINGS,
                       "client.py": CLIENT, "actions.py": ACTIONS}.items():
        (folder / name).write_text(text)
    return folder
