"""The first steps of a booking: turning the people a goal names into email addresses.

With ``local`` one ``find_people`` step resolves every name (and fails clearly on a name
that fits nobody or several people). With HubSpot each named person gets a contact search
of their own, and the event's attendees are the addresses those searches return; email
addresses written in the goal need no lookup and are invited as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain import Step
from bot.planning.rules.who import Who, join_names


def ref(path: str) -> dict[str, str]:
    return {"$ref": path}


@dataclass(frozen=True)
class Attendees:
    steps: list[Step] = field(default_factory=list)
    # the value of an event's "attendees" argument: one reference, or a list of addresses
    # and references
    emails: Any = None


def _crm_search(name: str) -> dict[str, Any]:
    """A full name matches first and last name exactly (HubSpot's free-text query matches
    one property at a time); a single word is searched as free text."""
    first, _, last = name.strip().partition(" ")
    if last:
        return {"filters": [{"property": "firstname", "operator": "EQ", "value": first},
                            {"property": "lastname", "operator": "EQ", "value": last.strip()}],
                "max_results": 5}
    return {"query": first, "max_results": 5}


def from_crm(people: list[Who], requester_email: str | None) -> Attendees:
    steps: list[Step] = []
    emails: list[Any] = []
    for who in people:
        if who.email and who.name == who.email:
            emails.append(who.email)  # an address written in the goal
            continue
        step_id = f"s{len(steps) + 1}"
        steps.append(Step(id=step_id, action="crm.search_contacts", args=_crm_search(who.name),
                          note=f"Find {who.name}'s email address in HubSpot (first match)"))
        emails.append(ref(f"{step_id}.results.0.properties.email"))
    if requester_email and requester_email not in emails:
        emails.append(requester_email)  # the requester attends their own meeting
    return Attendees(steps=steps, emails=emails)


def from_local(names: list[str]) -> Attendees:
    step = Step(id="s1", action="local.find_people", args={"names": names},
                note=f"Find the email addresses of {join_names(names)}")
    return Attendees(steps=[step], emails=ref("s1.emails"))
