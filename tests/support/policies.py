"""Policies the tests share, built from their few differences instead of a copy of the YAML
in each test module."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.policy import Policy, parse_policy


def finance_approves_writes(finance: Sequence[str] = (), *, requester_may_approve: bool = True) -> Policy:
    """Reads run alone; a write or destructive step waits for someone of the ``finance``
    group, whose members are ``finance`` (none: membership comes from the platform, a
    Slack user group or the Discord role mapped to it). ``requester_may_approve=False``:
    the person who asked cannot approve their own plan."""
    text = f"""\
version: 1
default: deny
groups:
  finance: {json.dumps(list(finance))}
rules:
  - name: reads-run-alone
    match: {{effect: read}}
    verdict: allow
  - name: finance-approves-writes
    match: {{effect: [write, destructive]}}
    verdict: require_approval
    approvers: [finance]
    requester_may_approve: {"true" if requester_may_approve else "false"}
"""
    return parse_policy(text, "policy.yaml")
