"""``deputy policy set|show|explain --team``: an operator gives one team its own policy."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run

STRICT = """version: 1
default: deny
rules:
  - name: reads
    match: {effect: read}
    verdict: allow
  - name: no-payments-here
    match: {action: record_payment}
    verdict: deny
    reason: payments are recorded by finance, not from chat
"""


def test_set_show_and_explain_one_teams_policy(deputy: Run, tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(STRICT)
    assert "slack:TAAA: policy version 1 set" in deputy("policy", "set", "--team", "slack:TAAA", str(strict))
    shown = deputy("policy", "show", "--team", "slack:TAAA")
    assert "database v1 (set by cli:local:" in shown and "no-payments-here" in shown
    assert "default (" in deputy("policy", "show", "--team", "slack:TBBB")
    args = json.dumps({"invoice_id": "INV-1", "amount_cents": 100})
    explained = deputy("policy", "explain", "--team", "slack:TAAA", "--as", "U1",
                       "--action", "local.record_payment", "--args", args)
    assert "as slack:TAAA:U1" in explained and "→ deny" in explained and "no-payments-here" in explained
    other = deputy("policy", "explain", "--team", "slack:TBBB", "--as", "U1",
                   "--action", "local.record_payment", "--args", args)
    assert "→ require_approval" in other
    assert "v1" in deputy("policy", "show", "--team", "slack:TAAA", "--history")
    # the change is in the team's own audit chain, and only there
    exported = deputy("audit", "export", "--team", "slack:TAAA")
    assert '"kind": "policy_set"' in exported
    assert "policy_set" not in deputy("audit", "export", "--team", "slack:TBBB")
    assert "audit log of slack:TAAA intact: 1 records" in deputy("audit", "verify", "--team", "slack:TAAA")


def test_an_invalid_policy_is_refused_with_the_line_and_nothing_changes(deputy: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(STRICT.replace("verdict: deny", "verdict: nope"))
    said = deputy("policy", "set", "--team", "slack:TAAA", str(bad), code=1)
    assert "bad.yaml, line 7" in said and "The policy of slack:TAAA was not changed." in said
    assert "default (" in deputy("policy", "show", "--team", "slack:TAAA")
    said = deputy("policy", "set", "--team", "TAAA", str(bad), code=2)
    assert "is not a team key" in said
