"""What the web console needs from a chat platform to sign a person in with it: "Sign in
with Slack" (OpenID Connect), "Sign in with Discord" (OAuth2). Each adapter provides one
(``bot/adapters/*/console_signin.py``); ``deputy serve`` hands them to the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain import Actor


@dataclass(frozen=True)
class Member:
    """A person in one team of theirs (a Slack workspace, a Discord guild), named for them."""

    actor: Actor
    team_name: str = ""
    # the organisation the team is part of on its platform, when the platform says (a Slack
    # Enterprise Grid org id): an org-wide install answers for the team under that id only
    org: str | None = None


class SignInProvider(Protocol):
    """A platform people sign in with. ``people`` raises :class:`bot.errors.UserError`
    (its text is shown to the person) when the platform refuses or the person's team is not
    one Deputy serves."""

    name: str  # "slack", "discord": the path /console/signin/NAME
    label: str  # "Sign in with Slack"

    def authorize_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        """Where to send the browser; ``challenge`` is PKCE S256 (used where supported)."""
        ...

    async def people(self, code: str, redirect_uri: str, nonce: str, verifier: str) -> list[Member]:
        """The person as chat knows them (name, groups, admin), once per team of theirs
        where Deputy is: a Discord member of two such guilds picks one."""
        ...

    async def current(self, actor: Actor, org: str | None = None) -> Actor | None:
        """``actor`` (signed in earlier, in ``org`` as :meth:`people` said) as the platform
        knows them now: their groups read from the platform (at this moment, or a read of the
        whole team's a few seconds old where the platform's rate limit asks for it, as Slack's
        usergroups.list), for a decision made in the console and for the plans listed as theirs
        to decide; None when they are no longer a
        member of that team. Raises :class:`bot.errors.UserError` when the platform cannot
        say (then nothing is decided)."""
        ...
