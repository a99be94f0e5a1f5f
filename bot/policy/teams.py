"""Each team's policy: the one stored for it (``deputy policy set --team``), else its file
``<team dir>/<platform>-<team id>.yaml``, else the deployment's default policy.

Every verdict (planning, approvals, the re-check before execution, autopilot, monitors, rate
limits) asks :meth:`TeamPolicies.for_team`. A parsed policy is cached per team and re-read
only when the team's stored version changes (one indexed query per lookup, so a policy set
from the CLI is used by every process at its next verdict) or its file's modification time
does; :meth:`set` validates, stores a new version, audits the change in the team's chain and
drops the cache entry at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.errors import PolicyError
from bot.policy.model import Policy, parse_policy
from bot.store import audit, team_policies
from bot.store.database import Database, Session


def check_team_key(team_key: str) -> str:
    """A team key is ``platform:team`` (``slack:T0123``, ``discord:81234``, ``shell:local``)."""
    platform, _, team = team_key.partition(":")
    if not platform or not team or ":" in team or "/" in team_key or team_key.startswith("."):
        raise PolicyError(f"{team_key!r} is not a team key: give platform:team, e.g. slack:T0123, "
                          "discord:81234 or shell:local")
    return team_key


def team_file(directory: Path, team_key: str) -> Path:
    """``slack:T0123`` → ``<directory>/slack-T0123.yaml``."""
    platform, _, team = check_team_key(team_key).partition(":")
    return directory / f"{platform}-{team}.yaml"


@dataclass(frozen=True)
class Resolved:
    policy: Policy
    source: str  # "database v3 (set by … at …)", a file path, or "default (<path>)"
    version: int = 0  # the stored version; 0 when it comes from a file or the default
    stamp: float = 0.0  # the file's modification time, when it comes from a file


class TeamPolicies:
    def __init__(self, default: Policy, database: Database, directory: Path | None) -> None:
        self.default = default
        self._database = database
        self._directory = directory
        self._cache: dict[str, Resolved] = {}

    async def for_team(self, team_key: str | None, session: Session | None = None) -> Policy:
        """The policy deciding for ``team_key``; the default for None (no team). Read in
        ``session`` when given (a caller holding a transaction), else in a session of its own."""
        return (await self.resolve(team_key, session)).policy

    async def resolve(self, team_key: str | None, session: Session | None = None) -> Resolved:
        if team_key is None:
            return Resolved(self.default, f"default ({self.default.source})")
        if session is None:
            async with self._database.session(team=team_key) as own:
                return await self._resolve(own, team_key)
        return await self._resolve(session, team_key)

    async def _resolve(self, session: Session, team_key: str) -> Resolved:
        version = await team_policies.latest_version(session, team_key)
        cached = self._cache.get(team_key)
        if version and cached is not None and cached.version == version:
            return cached
        if version:
            row = await team_policies.latest(session, team_key)
            assert row is not None
            found = Resolved(parse_policy(row.yaml, f"{team_key} v{row.version}"),
                             f"database v{row.version} (set by {row.set_by} at {row.set_at:%Y-%m-%d %H:%M} UTC)",
                             version=row.version)
            self._cache[team_key] = found
            return found
        return await self._from_file(team_key, cached)

    async def _from_file(self, team_key: str, cached: Resolved | None) -> Resolved:
        path = team_file(self._directory, team_key) if self._directory is not None else None
        stamp = await asyncio.to_thread(_mtime, path) if path is not None else None
        if path is None or stamp is None:
            found = Resolved(self.default, f"default ({self.default.source})")
        elif cached is not None and cached.version == 0 and cached.stamp == stamp:
            return cached
        else:
            text = await asyncio.to_thread(path.read_text)
            found = Resolved(parse_policy(text, str(path)), str(path), stamp=stamp)
        self._cache[team_key] = found
        return found

    def invalidate(self, team_key: str) -> None:
        self._cache.pop(team_key, None)

    async def set(self, team_key: str, text: str, set_by: str, source: str = "<policy>") -> int:
        """Validate ``text`` (PolicyError, storing nothing, when it is not a valid policy),
        store it as the team's next version, audit it; returns the new version."""
        check_team_key(team_key)
        policy = parse_policy(text, source)
        async with self._database.session(team=team_key) as session:
            row = await team_policies.add(session, team_key, text, set_by)
            await audit.append(session, "policy_set", actor_key=set_by, team_key=team_key, data={
                "team": team_key, "version": row.version, "source": source,
                "rules": len(policy.rules), "guardrails": len(policy.guardrails),
                "default": policy.default.value})
        self.invalidate(team_key)
        return row.version


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None
