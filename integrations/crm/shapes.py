"""Pure helpers for the crm integration: record shapes and money in minor units.

HubSpot keeps a deal's ``amount`` as a decimal string in major units ("1500.50"); Deputy
speaks integers in minor units everywhere, so amounts cross this boundary only as
``amount_cents`` and the conversion is exact (Decimal, never float).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from bot.sdk import InvalidArguments

# ISO 4217 currencies with no minor unit (the list Stripe documents as zero-decimal)
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())

# HubSpot-defined association type ids, note → record (from HubSpot's associations guide)
NOTE_ASSOCIATION_TYPE = {"contacts": 202, "companies": 190, "deals": 214}


def _exponent(currency: str | None) -> int:
    return 0 if (currency or "").lower() in ZERO_DECIMAL else 2


def amount_to_hubspot(amount_cents: object, currency: str | None) -> str:
    """Minor units (int) → HubSpot's decimal string in major units."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise InvalidArguments(
            f"crm: amount_cents must be an integer in the currency's minor unit, got {amount_cents!r}"
        )
    exponent = _exponent(currency)
    return str(Decimal(amount_cents).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))


def amount_from_hubspot(value: object, currency: str | None) -> int | None:
    """HubSpot's decimal string → minor units (half-even rounding of sub-cent noise)."""
    if value in (None, ""):
        return None
    try:
        major = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(major.scaleb(_exponent(currency)).to_integral_value())


def record(object_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    properties = dict(obj.get("properties") or {})
    shaped: dict[str, Any] = {
        "id": obj.get("id"),
        "type": object_type,
        "properties": properties,
        "created_at": obj.get("createdAt"),
        "updated_at": obj.get("updatedAt"),
        "archived": bool(obj.get("archived", False)),
    }
    if object_type == "deals" and "amount" in properties:
        currency = properties.get("deal_currency_code")
        shaped["amount_cents"] = amount_from_hubspot(properties.pop("amount"), currency)
    return shaped
