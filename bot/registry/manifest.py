"""Integration manifests: what an integration offers, described as data.

A manifest is ``integrations/<name>/manifest.yaml``. Each action has a JSON-schema for its
arguments, an effect (read / write / destructive), and whether it can be undone (and by which
action). The policy reads effects; the planner reads descriptions and schemas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from bot.domain import Effect
from bot.domain.oauth import OAuthSpec
from bot.errors import ManifestError
from bot.registry.results import ResultSpec
from bot.registry.schema_check import InvalidSchema, check_args_schema


class Derived(BaseModel):
    """What a write will do that its arguments do not say (the billing email an invoice is
    sent to, the amount computed from time entries): a read action of the same integration
    that looks it up, and the values of its result that matter.

    ``args`` is built from the write's own arguments ("$args.invoice_id"); ``values`` maps a
    label to a dotted path into the read's result. The label ``recipients`` holds addresses.
    Previews show these values on the card and bind the approval to them; the executor looks
    them up again before every call and stops when one differs (bot/flow/derived.py).
    """

    action: str
    args: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, str] = Field(min_length=1)


class ActionSpec(BaseModel):
    name: str
    description: str
    effect: Effect
    args: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    undo: str | None = None
    # the undo action's arguments, built from this action's call: "$args.x" (an argument it
    # was called with) or "$result.x" (a field of what it returned); see bot/flow/undo.py
    undo_args: dict[str, Any] | None = None
    # which argument names are worth showing on a plan card (the rest stay in details)
    shown: list[str] = Field(default_factory=list)
    # how the result is shown to people (bot/registry/results.py); None: a generic table
    result: ResultSpec | None = None
    # values the write derives inside the integration, looked up before approval and again
    # before each call (see Derived)
    derived: Derived | None = None
    # fields of the output holding a file made for people to see (the browser's screenshot):
    # chat adapters attach it to the thread (bot/registry/attachments.py)
    attach: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> ActionSpec:
        if self.args.get("type") != "object":
            raise ValueError(f"action {self.name!r}: args schema must be of type 'object'")
        check_args_schema(self.args)  # raises InvalidSchema, which pydantic lets through
        if self.effect is Effect.READ and self.undo:
            raise ValueError(f"action {self.name!r}: a read action has nothing to undo")
        if self.undo_args is not None and not self.undo:
            raise ValueError(f"action {self.name!r}: undo_args without undo")
        if self.undo and self.undo_args is None:
            # without them the undo could never be built, and Undo would silently not appear
            raise ValueError(f"action {self.name!r}: undo {self.undo!r} needs undo_args "
                             "(built from $args/$result of this call)")
        if self.derived is not None and self.effect is Effect.READ:
            raise ValueError(f"action {self.name!r}: a read action derives nothing to bind")
        return self


class CredentialField(BaseModel):
    """One thing a user gives when connecting the integration (stored in the vault)."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    description: str = ""


class Manifest(BaseModel):
    name: str
    description: str
    auth: str = "none"  # none | api_key | oauth2 | basic
    # the integration accepts an idempotency key on writes and answers a repeat with the
    # first result; otherwise a write interrupted by a crash is reported, never re-sent
    idempotent_writes: bool = False
    # calls of this integration in flight at once in one process (a for-each's items, steps
    # that do not depend on each other); a 429 with Retry-After pauses all of them
    max_concurrency: int = Field(default=4, ge=1, le=64)
    # what `connect <name>` asks for; empty for integrations that need no account
    credentials: list[CredentialField] = Field(default_factory=list)
    # the integration also works for people who connected nothing (the browser: public
    # pages need no login); plans then run without their credentials, never waiting for one
    connection_optional: bool = False

    @property
    def needs_connection(self) -> bool:
        """Whether a plan using it waits until the requester has connected it."""
        return bool(self.credentials) and not self.connection_optional
    # sign in with OAuth 2 instead of the form, once the app is configured (see OAuthSpec)
    oauth: OAuthSpec | None = None
    # whether the integration's "read" effects can be believed: false for an MCP server the
    # operator did not mark trusted, whose read tools then never run before an approval
    trusted_reads: bool = True
    # the teams (platform:team) whose goals may use it; empty: every team. An MCP server
    # declared for some teams only (``teams = [...]`` in its [[mcp_servers]] table)
    teams: list[str] = Field(default_factory=list)
    actions: list[ActionSpec]

    def serves(self, team_key: str | None) -> bool:
        """Whether goals of ``team_key`` may use it (no team: only what serves every team)."""
        return not self.teams or team_key in self.teams

    @model_validator(mode="after")
    def _check(self) -> Manifest:
        if self.oauth is not None and not self.credentials:
            raise ValueError("oauth: needs credentials too (what `connect` asks for while no OAuth "
                             "app is configured; the OAuth access token is stored as access_token)")
        names = [a.name for a in self.actions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate action names: {', '.join(dupes)}")
        for action in self.actions:
            if action.undo and action.undo not in names:
                raise ValueError(f"action {action.name!r}: undo names unknown action {action.undo!r}")
            if action.derived is not None:
                source = self.action(action.derived.action)
                if source is None or source.effect is not Effect.READ:
                    raise ValueError(f"action {action.name!r}: derived.action {action.derived.action!r} "
                                     "must be a read action of this integration")
        return self

    def action(self, name: str) -> ActionSpec | None:
        return next((a for a in self.actions if a.name == name), None)


# libyaml's safe parser when PyYAML has it: the pure-Python one is most of a second of every
# start-up on the bundled manifests
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifest(path: Path, name: str | None = None) -> Manifest:
    """The manifest at ``path``; its name must be ``name`` (default: the folder's name)."""
    try:
        data = yaml.load(path.read_text(), Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as err:
        raise ManifestError(f"{path}: cannot read: {err}") from err
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ManifestError(f"{path}: {where + ': ' if where else ''}{first['msg']}") from err
    except InvalidSchema as err:
        raise ManifestError(f"{path}: invalid JSON schema: {err.message}") from err
    if name is not None and manifest.name != name:
        raise ManifestError(f"{path}: name {manifest.name!r} must match its entry point {name!r}")
    if name is None and manifest.name != path.parent.name:
        raise ManifestError(f"{path}: name {manifest.name!r} must match its folder {path.parent.name!r}")
    return manifest
