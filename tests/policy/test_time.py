"""Time windows: office hours, nights across midnight, and the time zone they are written in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.policy import Verdict
from bot.policy.timewindow import TimeWindow
from tests.policy.helpers import decide, facts, policy_with


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("window", "moment", "inside"),
    [
        ({"days": "mon..fri", "hours": "09:00-18:00", "timezone": "UTC"}, "2026-11-25T09:00+00:00", True),
        ({"days": "mon..fri", "hours": "09:00-18:00", "timezone": "UTC"}, "2026-11-25T18:00+00:00", False),
        ({"days": "mon..fri", "hours": "09:00-18:00", "timezone": "UTC"}, "2026-11-28T12:00+00:00", False),  # Sat
        # London in summer is UTC+1: 08:30 UTC is 09:30 there
        ({"hours": "09:00-18:00", "timezone": "Europe/London"}, "2026-07-01T08:30+00:00", True),
        ({"hours": "09:00-18:00", "timezone": "Europe/London"}, "2026-12-01T08:30+00:00", False),
        # 23:00 UTC on Friday is already Saturday 08:00 in Tokyo
        ({"days": "sat,sun", "hours": "07:00-12:00", "timezone": "Asia/Tokyo"}, "2026-11-27T23:00+00:00", True),
        # a night shift belongs to the day it starts on
        ({"days": ["fri"], "hours": "22:00-06:00", "timezone": "UTC"}, "2026-11-27T23:30+00:00", True),
        ({"days": ["fri"], "hours": "22:00-06:00", "timezone": "UTC"}, "2026-11-28T02:00+00:00", True),  # Sat 02:00
        ({"days": ["fri"], "hours": "22:00-06:00", "timezone": "UTC"}, "2026-11-27T02:00+00:00", False),  # Fri 02:00
        ({"days": ["fri"], "hours": "22:00-06:00", "timezone": "UTC"}, "2026-11-28T06:00+00:00", False),
        ({"days": "fri-mon", "hours": "00:00-24:00", "timezone": "UTC"}, "2026-11-30T23:59+00:00", True),  # Mon
        ({"days": "fri-mon", "timezone": "UTC"}, "2026-11-25T12:00+00:00", False),  # Wed
    ],
)
def test_window_contains(window: dict[str, object], moment: str, inside: bool) -> None:
    assert TimeWindow.model_validate(window).contains(at(moment)) is inside


def test_during_and_outside_on_a_rule() -> None:
    during = policy_with("  - name: r\n    match: {during: {days: mon..fri, hours: '09:00-18:00', "
                         "timezone: Europe/Berlin}}\n    verdict: deny\n    reason: office hours only\n")
    outside = policy_with("  - name: r\n    match: {outside: {days: mon..fri, hours: '09:00-18:00', "
                          "timezone: Europe/Berlin}}\n    verdict: deny\n    reason: not at night\n")
    wednesday_noon_berlin = at("2026-11-25T12:00+01:00")
    saturday = at("2026-11-28T12:00+01:00")
    assert decide(during, request=facts(now=wednesday_noon_berlin)).verdict is Verdict.DENY
    assert decide(during, request=facts(now=saturday)).verdict is Verdict.ALLOW
    assert decide(outside, request=facts(now=wednesday_noon_berlin)).verdict is Verdict.ALLOW
    denied = decide(outside, request=facts(now=saturday))
    assert denied.verdict is Verdict.DENY
    assert "Sat 12:00 is outside mon-fri 09:00-18:00 Europe/Berlin" in denied.reason


def test_an_unknown_time_is_read_cautiously() -> None:
    allow_in_hours = policy_with("  - {name: r, match: {during: {hours: '09:00-18:00'}}, verdict: allow}\n",
                                 default="require_approval")
    assert decide(allow_in_hours, request=facts(now=None)).verdict is Verdict.REQUIRE_APPROVAL
    deny_at_night = policy_with("  - {name: r, match: {outside: {hours: '09:00-18:00'}}, verdict: deny, reason: x}\n")
    assert decide(deny_at_night, request=facts(now=None)).verdict is Verdict.DENY
