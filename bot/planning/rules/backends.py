"""Which integration carries each capability for this requester.

The rule planner prefers the team's real systems (CalDAV, HubSpot, Stripe, SMTP) when the
requester can use them — the catalogue offers an integration's actions only when it needs
no account or the requester connected it — and falls back to ``local`` otherwise. The
choice is made per capability, from the exact actions a plan would use, so a half-loaded
integration never yields a plan that cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.planning.protocol import ActionCatalog

LOCAL = "local"

# capability -> (integration, the actions its plans use)
_PEOPLE = ("crm", ("search_contacts",))
_CALENDAR = ("calendar", ("find_free_slots", "create_event"))
_BILLING = ("invoicing", ("find_customer", "create_invoice_item", "create_invoice", "send_invoice"))
_RECEIVABLES = ("invoicing", ("list_overdue", "send_invoice"))
_MAIL = ("email", ("send",))


def _usable(catalog: ActionCatalog, choice: tuple[str, tuple[str, ...]]) -> bool:
    integration, actions = choice
    return all(catalog.spec(f"{integration}.{action}") is not None for action in actions)


@dataclass(frozen=True)
class Backends:
    """Integration names per capability; ``mail`` is None when only ``local`` can send."""

    people: str = LOCAL
    calendar: str = LOCAL
    billing: str = LOCAL
    receivables: str = LOCAL
    mail: str | None = None


def choose(catalog: ActionCatalog) -> Backends:
    return Backends(
        people=_PEOPLE[0] if _usable(catalog, _PEOPLE) else LOCAL,
        calendar=_CALENDAR[0] if _usable(catalog, _CALENDAR) else LOCAL,
        billing=_BILLING[0] if _usable(catalog, _BILLING) else LOCAL,
        receivables=_RECEIVABLES[0] if _usable(catalog, _RECEIVABLES) else LOCAL,
        mail=_MAIL[0] if _usable(catalog, _MAIL) else None,
    )
