"""The one address check every sending integration uses (integrations/common/addresses.py)."""

from __future__ import annotations

from email.utils import getaddresses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidArguments
from integrations.common.addresses import addr_spec, addr_specs, mailbox

GOOD = ["ana@agency.example", "o'brien+tag@mail.example.co.uk", "x@[192.0.2.1]",
        '"ana smith"@agency.example', "UPPER@Example.COM"]


@pytest.mark.parametrize("value", GOOD)
def test_plain_addresses_pass_unchanged(value: str) -> None:
    assert addr_spec(f"  {value} ", "to") == value


@pytest.mark.parametrize(("value", "why"), [
    ("ana@agency.example\r\nBcc: thief@evil.example", "line break"),
    ("ana@agency.example\nBcc: thief@evil.example", "line break"),
    ("ana@agency.example\r", "line break"),
    ("ana@agency.example\x00", "control character"),
    ("ana@agency.example\u2028Bcc: thief@evil.example", "control character"),
    ("ana@agency.example, thief@evil.example", "more than one address"),
    ("ana@agency.example;thief@evil.example", "more than one address"),
    ("ana@agency.example thief@evil.example", "more than one address"),
    ("Ana <ana@agency.example>", "not an email address"),
    ("ana", "not an email address"),
    ("ana@localhost", "not an email address"),
    ("ana..smith@agency.example", "not an email address"),
    ("ana@-agency.example", "not an email address"),
    ("", "empty"),
    ("a" * 65 + "@agency.example", "longer than 64"),
])
def test_anything_but_one_address_is_refused_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(InvalidArguments, match=why) as refused:
        addr_spec(value, "to")
    assert str(refused.value).startswith("to: ")


def test_a_list_names_the_bad_element() -> None:
    with pytest.raises(InvalidArguments, match=r"attendees\[1\]: .*line break"):
        addr_specs(["ana@agency.example", "ben@agency.example\r\nBcc: x@evil.example"], "attendees")


def test_mailbox_takes_a_display_name_but_still_one_address() -> None:
    assert mailbox("Ana Lima <ana@agency.example>", "to") == "Ana Lima <ana@agency.example>"
    assert mailbox('"Lima, Ana" <ana@agency.example>', "to") == '"Lima, Ana" <ana@agency.example>'
    with pytest.raises(InvalidArguments, match="more than one address"):
        mailbox("Ana <ana@agency.example>, Thief <thief@evil.example>", "to")
    with pytest.raises(InvalidArguments, match="line break"):
        mailbox("Ana\r\nBcc: thief@evil.example <ana@agency.example>", "to")


@given(st.text(min_size=1, max_size=40), st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x85"]),
       st.text(max_size=40))
def test_no_accepted_address_contains_a_line_break_or_control(before: str, brk: str, after: str) -> None:
    with pytest.raises(InvalidArguments):
        addr_spec(f"{before}{brk}{after}", "to")
    with pytest.raises(InvalidArguments):
        mailbox(f"{before}{brk}{after}", "to")


@given(st.text(max_size=60))
def test_whatever_is_accepted_is_one_header_safe_address(text: str) -> None:
    try:
        value = addr_spec(text, "to")
    except InvalidArguments:
        return
    assert "\r" not in value and "\n" not in value
    assert len(getaddresses([value], strict=True)) == 1
