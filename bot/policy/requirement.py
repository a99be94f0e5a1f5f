"""What a whole plan version needs before it may run, and whose approvals count toward it.

Each step that requires approval contributes a *need* (how many, from which groups, any-of or
all-of, with or without the requester). The plan may run when every need is met by the
people who approved this exact version; one person's approval counts toward every need it
fits. The requester never counts toward a need that excludes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import Actor
from bot.policy.matching import in_group
from bot.policy.model import Decision, Policy, Verdict
from bot.policy.request_facts import team_of_key
from bot.policy.truth import Truth


@dataclass(frozen=True)
class Need:
    approvals: int
    groups: tuple[str, ...] = ()  # empty: anyone
    mode: str = "any_of"  # all_of: a distinct approver from each group
    requester_may_approve: bool = True

    def counts(self, policy: Policy, actor: Actor, requester_key: str) -> bool:
        if actor.key == requester_key and not self.requester_may_approve:
            return False
        home = team_of_key(requester_key) if requester_key else None
        if home is not None and team_of_key(actor.key) != home:
            return False  # only people of the goal's team approve it
        return not self.groups or any(_member(policy, g, actor, home) for g in self.groups)

    def met_by(self, policy: Policy, approvers: Sequence[Actor], requester_key: str) -> bool:
        counting = _distinct([a for a in approvers if self.counts(policy, a, requester_key)])
        if len(counting) < self.approvals:
            return False
        home = team_of_key(requester_key) if requester_key else None
        return self.mode != "all_of" or _one_per_group(policy, self.groups, counting, home)

    def describe(self) -> str:
        plural = "s" if self.approvals > 1 else ""
        groups = (" and " if self.mode == "all_of" else " or ").join(f"@{g}" for g in self.groups)
        who = (" (one from each of " + groups + ")" if self.mode == "all_of" else " from " + groups) \
            if self.groups else ""
        self_ok = "" if self.requester_may_approve else ", not the requester"
        return f"{self.approvals} approval{plural}{who}{self_ok}"


def _member(policy: Policy, group: str, actor: Actor, home_team: str | None = None) -> bool:
    # an approver's platform groups come with their click, so they are always known here
    return in_group(policy, group, actor.key, actor.groups, home_team) is Truth.TRUE


def _distinct(actors: Sequence[Actor]) -> list[Actor]:
    seen: dict[str, Actor] = {}
    for actor in actors:
        seen.setdefault(actor.key, actor)
    return list(seen.values())


def _one_per_group(policy: Policy, groups: tuple[str, ...], actors: list[Actor],
                   home_team: str | None) -> bool:
    """A distinct person for every group (bipartite matching by augmenting paths)."""
    owner: dict[str, str] = {}  # actor key -> group it stands for

    def place(group: str, tried: set[str]) -> bool:
        for actor in actors:
            if actor.key in tried or not _member(policy, group, actor, home_team):
                continue
            tried.add(actor.key)
            if actor.key not in owner or place(owner[actor.key], tried):
                owner[actor.key] = group
                return True
        return False

    return all(place(g, set()) for g in groups)


@dataclass(frozen=True)
class PlanRequirement:
    denied: bool
    approvals: int  # the largest single need: kept for the plan card and the stored version
    requester_may_approve: bool
    approvers: tuple[str, ...]
    needs: tuple[Need, ...] = ()
    denials: tuple[str, ...] = ()  # the reasons of denied steps

    @property
    def runs_alone(self) -> bool:
        return not self.denied and not self.needs and self.approvals == 0

    def may_approve(self, policy: Policy, actor: Actor, requester_key: str) -> tuple[bool, str]:
        """Whether ``actor``'s approval counts toward a need, and if not, why (said in private)."""
        needs = self.needs or (Need(self.approvals, self.approvers, "any_of", self.requester_may_approve),)
        if any(n.counts(policy, actor, requester_key) for n in needs):
            return True, ""
        fitting = [n for n in needs if n.counts(policy, actor, "")]  # ignoring who asked
        if actor.key == requester_key and fitting:
            return False, "the policy needs someone other than the requester to approve this plan"
        groups = ", ".join(f"@{g}" for g in self.approvers)
        return False, f"only members of {groups} may approve this plan"

    def quorum_problem(self, policy: Policy, approvers: Sequence[Actor], requester_key: str) -> str | None:
        """None when the approvals given meet every need; otherwise what is still missing."""
        if self.denied:
            return "a step is denied: " + "; ".join(self.denials)
        missing = [n.describe() for n in self.needs if not n.met_by(policy, approvers, requester_key)]
        return "still needs " + "; ".join(missing) if missing else None


def plan_requirement(decisions: Iterable[Decision]) -> PlanRequirement:
    items = list(decisions)
    needing = [d for d in items if d.verdict is Verdict.REQUIRE_APPROVAL]
    needs: list[Need] = []
    for d in needing:
        need = Need(max(1, d.approvals), d.approvers, d.approvers_mode, d.requester_may_approve)
        if need not in needs:
            needs.append(need)
    approvers: list[str] = []
    for d in needing:
        approvers.extend(g for g in d.approvers if g not in approvers)
    return PlanRequirement(
        denied=any(d.verdict is Verdict.DENY for d in items),
        approvals=max((n.approvals for n in needs), default=0),
        requester_may_approve=all(d.requester_may_approve for d in needing),
        approvers=tuple(approvers),
        needs=tuple(needs),
        denials=tuple(d.reason for d in items if d.verdict is Verdict.DENY),
    )
