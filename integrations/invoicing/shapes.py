"""Pure helpers for the invoicing integration: idempotency keys, money checks, result shapes.

Results are small plain dicts a person can read on a plan card or in a digest; amounts stay
integers in the currency's minor unit, exactly as Stripe returns them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from bot.sdk import CallContext, InvalidArguments

MAX_KEY_LENGTH = 255  # Stripe's limit for Idempotency-Key


def write_key(ctx: CallContext, suffix: str = "") -> str:
    """The Idempotency-Key of one write: the step's key, plus ``suffix`` when a step writes
    more than once, so a re-run of the same step replays every write instead of repeating it."""
    key = f"deputy:{ctx.idempotency_key}" + (f":{suffix}" if suffix else "")
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "deputy:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def minor_units(name: str, value: object) -> int:
    """``value`` as an integer amount; floats are refused even when whole (12.0), because a
    float amount means someone somewhere did money arithmetic in binary floating point."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArguments(
            f"invoicing: {name} must be an integer in the currency's minor unit (cents), "
            f"got {value!r}"
        )
    return value


def iso(timestamp: object) -> str | None:
    if not isinstance(timestamp, int):
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def customer(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": obj.get("id"),
        "name": obj.get("name"),
        "email": obj.get("email"),
        "description": obj.get("description"),
        "created": iso(obj.get("created")),
    }


def invoice_item(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": obj.get("id"),
        "customer": obj.get("customer"),
        "invoice": obj.get("invoice"),
        "amount": obj.get("amount"),
        "currency": obj.get("currency"),
        "description": obj.get("description"),
    }


def invoice(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("deleted"):
        return {"id": obj.get("id"), "status": "deleted"}
    return {
        "id": obj.get("id"),
        "number": obj.get("number"),
        "customer": obj.get("customer"),
        "customer_email": obj.get("customer_email"),
        "status": obj.get("status"),
        "currency": obj.get("currency"),
        "total": obj.get("total"),
        "amount_due": obj.get("amount_due"),
        "amount_paid": obj.get("amount_paid"),
        "amount_remaining": obj.get("amount_remaining"),
        "due_date": iso(obj.get("due_date")),
        "hosted_invoice_url": obj.get("hosted_invoice_url"),
        "lines": len((obj.get("lines") or {}).get("data") or []),
    }


# ISO 4217 currencies with no minor unit (the list Stripe documents as zero-decimal)
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())


def money_text(amount: object, currency: object) -> str:
    """``150000, "eur"`` → ``"EUR 1,500.00"``: exact integer arithmetic, never floats."""
    code = str(currency or "").upper()
    if isinstance(amount, bool) or not isinstance(amount, int):
        return f"{code} ?".strip()
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    if code.lower() in ZERO_DECIMAL:
        return f"{code} {sign}{whole:,}"
    return f"{code} {sign}{whole // 100:,}.{whole % 100:02d}"


def reminder(shaped: dict[str, Any]) -> dict[str, str]:
    """A payment reminder for one overdue invoice, ready to send: plans pass it to an email
    action by reference, since a plan is fixed before the invoices are read."""
    number = shaped.get("number") or shaped.get("id")
    amount = money_text(shaped.get("amount_remaining"), shaped.get("currency"))
    days = shaped.get("days_overdue")
    late = f"{days} day{'' if days == 1 else 's'} overdue" if isinstance(days, int) else "overdue"
    due = str(shaped.get("due_date") or "")[:10]
    lines = [
        "Hello,",
        "",
        f"Invoice {number} for {amount} was due on {due} and is now {late}.",
        "If you have already paid it, thank you and please ignore this message.",
    ]
    if shaped.get("hosted_invoice_url"):
        lines.append(f"You can view and pay it here: {shaped['hosted_invoice_url']}")
    return {"subject": f"Payment reminder: invoice {number} ({amount}, {late})", "body": "\n".join(lines)}


def overdue_invoice(obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    shaped = invoice(obj)
    due = obj.get("due_date")
    shaped["days_overdue"] = (
        (now - datetime.fromtimestamp(due, UTC)).days if isinstance(due, int) else None
    )
    shaped["amount_remaining_text"] = money_text(shaped.get("amount_remaining"), shaped.get("currency"))
    shaped["reminder"] = reminder(shaped)
    return shaped


def payment(obj: dict[str, Any]) -> dict[str, Any]:
    paid_at = (obj.get("status_transitions") or {}).get("paid_at")
    return {
        "id": obj.get("id"),
        "invoice": obj.get("invoice"),
        "status": obj.get("status"),
        "currency": obj.get("currency"),
        "amount_paid": obj.get("amount_paid"),
        "amount_requested": obj.get("amount_requested"),
        "paid_at": iso(paid_at),
    }
