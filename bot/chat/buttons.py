"""Stable button ids: ``deputy:<plan>:<version>:<action>``, parsed in this one place.

The id names the plan version it was drawn for, so a click on an old card can be told
apart from a click on the current one, and a click after a restart still resolves.
"""

from __future__ import annotations

from dataclasses import dataclass

# "accept": accept a thread suggestion; its id stands in the version's place. The memory
# buttons have plan 0 and the proposal's (or the memory's) id in the version's place.
ACTIONS = ("approve", "reject", "modify", "undo", "accept", "monitor-approve", "monitor-reject",
           "memory-remember", "memory-no", "memory-forget")
PREFIX = "deputy"


@dataclass(frozen=True)
class ButtonId:
    plan_id: int
    version: int
    action: str

    def __str__(self) -> str:
        return f"{PREFIX}:{self.plan_id}:{self.version}:{self.action}"


class BadButton(ValueError):
    pass


def parse_button(raw: str) -> ButtonId:
    parts = raw.split(":")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise BadButton(f"not a Deputy button: {raw[:80]!r}")
    _, plan, version, action = parts
    if not (plan.isdigit() and version.isdigit()):
        raise BadButton(f"malformed button id: {raw[:80]!r}")
    if action not in ACTIONS:
        raise BadButton(f"unknown button action {action[:20]!r}")
    return ButtonId(int(plan), int(version), action)


def monitor_button(monitor_id: int, verb: str) -> ButtonId:
    """A button on a monitor proposal: plan 0, "version" = the monitor's id."""
    return ButtonId(0, monitor_id, f"monitor-{verb}")


def memory_button(number: int, action: str) -> ButtonId:
    """[Remember] / [No] on a memory proposal (``number``: the proposal's id), or [Forget] on a
    card's "Using:" line (``number``: the memory's id): plan 0, "version" = that id."""
    return ButtonId(0, number, f"memory-{action}")
