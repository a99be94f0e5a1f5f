"""connect / connections / disconnect, and the private form answers that store credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.events import CommandInvoked, CredentialsSubmitted
from bot.chat.replies import ConnectForm, FormField, Notice
from bot.errors import DeputyError, TransientError, UserError
from bot.registry.registry import LoadedIntegration
from bot.store import audit
from bot.vault import oauth, oauth_connect

if TYPE_CHECKING:
    from bot.core.deputy import Deputy


def _connectable(app: Deputy) -> list[str]:
    return [m.name for m in app.registry.manifests() if m.credentials]


def _options(app: Deputy) -> str:
    """What ``app`` lets a person connect, or why nothing (the embedded default: only local)."""
    enabled = ", ".join(m.name for m in app.registry.manifests())
    return ", ".join(_connectable(app)) or (
        f"nothing here: the integrations enabled ({enabled or 'none'}) need no account. Others "
        """(calendar, email, invoicing, crm, browser) are enabled with DEPUTY_INTEGRATIONS, e.g. '["local", "email"]'""")


def _manifest_or_error(app: Deputy, name: str) -> LoadedIntegration:
    loaded = app.registry.get(name.strip().lower())
    if loaded is None:
        raise UserError(f"There is no integration called {name!r}. You can connect: {_options(app)}.")
    return loaded


def _provider(app: Deputy, loaded: LoadedIntegration | None) -> oauth.OAuthProvider | None:
    """How ``loaded`` signs in with OAuth (its manifest and settings say); None: the form."""
    if loaded is None:
        return None
    return oauth.provider_for(app.settings, loaded.manifest.name, loaded.manifest.oauth,
                              loaded.settings)


async def connect_form(app: Deputy, event: CommandInvoked) -> ConnectForm | Notice:
    if not event.argument.strip():
        return Notice(f"Use: connect INTEGRATION. You can connect: {_options(app)}.", tone="warning")
    loaded = _manifest_or_error(app, event.argument)
    manifest = loaded.manifest
    if not manifest.credentials:
        return Notice(f"{manifest.name} needs no account: it is ready to use.")
    provider = _provider(app, loaded)
    if provider is not None:  # OAuth configured: a one-time sign-in link instead of a form
        url = await oauth_connect.start(app.database, provider, event.actor, event.where, app.clock())
        return Notice(f"Connect {manifest.name} by signing in to {provider.title}: {url}\n"
                      "This link is for you only, works once, and expires in 10 minutes.")
    fields = tuple(FormField(name=f.name, label=f.label, secret=f.secret, required=f.required,
                             description=f.description) for f in manifest.credentials)
    return ConnectForm(integration=manifest.name, title=f"Connect {manifest.name}", fields=fields)


async def on_credentials(app: Deputy, event: CredentialsSubmitted) -> Notice:
    loaded = _manifest_or_error(app, event.integration)
    manifest = loaded.manifest
    if app.vault is None:
        raise UserError("This Deputy has no credential vault configured; nothing was stored.")
    known = {f.name for f in manifest.credentials}
    fields = {k: v.strip() for k, v in event.fields.items() if k in known and v.strip()}
    missing = [f.label for f in manifest.credentials if f.required and f.name not in fields]
    if missing:
        return Notice(f"Not connected: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                      "needed. Nothing was stored.", tone="warning")
    if loaded.check_credentials is not None:
        try:
            await loaded.check_credentials(fields)
        except TransientError:
            return Notice(f"I could not reach {manifest.name} to check those details; nothing was "
                          "stored. Try again in a moment.", tone="warning")
        except DeputyError as err:
            return Notice(f"{manifest.name} did not accept those details ({err}). Nothing was stored.",
                          tone="warning")
    await app.vault.put(event.actor.key, manifest.name, fields)
    async with app.database.session(team=event.actor.team_key) as session:
        await audit.append(session, "connect", actor_key=event.actor.key,
                           data={"integration": manifest.name, "fields": sorted(fields)})
    return Notice(f"Connected {manifest.name}. Plans that need it will run with your credentials.",
                  tone="success")


async def list_connections(app: Deputy, event: CommandInvoked) -> Notice:
    if app.vault is None:
        return Notice("This Deputy has no credential vault configured.")
    rows = await app.vault.list_for(event.actor.key)
    if not rows:
        return Notice(f"You have connected nothing yet. You can connect: {_options(app)}.")
    lines = [f"• {r.integration} (since {r.created_at:%Y-%m-%d})" for r in rows]
    return Notice("Your connections:\n" + "\n".join(lines))


async def disconnect(app: Deputy, event: CommandInvoked) -> Notice:
    loaded = _manifest_or_error(app, event.argument)
    revoked = await _revoke(app, event.actor.key, loaded.manifest.name)
    if app.vault is None or not await app.vault.delete(event.actor.key, loaded.manifest.name):
        return Notice(f"You had not connected {loaded.manifest.name}.")
    async with app.database.session(team=event.actor.team_key) as session:
        await audit.append(session, "disconnect", actor_key=event.actor.key,
                           data={"integration": loaded.manifest.name})
    return Notice(f"Disconnected {loaded.manifest.name}; your stored credentials are deleted"
                  f"{revoked}.", tone="success")


async def _revoke(app: Deputy, owner_key: str, integration: str) -> str:
    """Where the provider supports it, revoke before deleting; the words to add to the notice."""
    provider = _provider(app, app.registry.get(integration))
    fields = await app.vault.get(owner_key, integration) if app.vault and provider else None
    if provider is None or fields is None or not oauth.is_oauth(fields):
        return ""
    if await oauth.revoke(provider, fields):
        return f" and {provider.title} revoked Deputy's access"
    return f" (I could not reach {provider.title} to revoke access: remove Deputy in its settings)"


async def missing_connections(app: Deputy, requester_key: str, integrations: set[str]) -> list[str]:
    """Integrations in ``integrations`` that need credentials the requester has not given."""
    needing = sorted(n for n in integrations
                     if (loaded := app.registry.get(n)) is not None and loaded.manifest.needs_connection)
    if not needing:
        return []
    have = {r.integration for r in await app.vault.list_for(requester_key)} if app.vault else set()
    return [n for n in needing if n not in have]
