"""The article's scenarios, end to end through the shell, against real local backends:
book a meeting on CalDAV with attendees found in HubSpot; invoice a client for last month
on Stripe; email a reminder for every overdue Stripe invoice."""

from __future__ import annotations

from datetime import date

from bot.domain import LOCAL_TEAM
from integrations.local import billing
from tests.e2e.conftest import (
    HUBSPOT_TOKEN,
    STRIPE_KEY,
    World,
    stripe_customer,
    stripe_overdue_invoice,
)


def unfolded(ics: str) -> str:
    """iCalendar folds long lines (RFC 5545 §3.1); join them back to search the text."""
    return ics.replace("\r\n ", "").replace("\n ", "")


async def test_book_a_meeting_on_caldav_with_people_found_in_hubspot(world: World) -> None:
    world.hubspot.add("contacts", firstname="Maria", lastname="Gonzalez", email="maria.gonzalez@acme-hq.example")
    world.hubspot.add("contacts", firstname="Maria", lastname="Lopez", email="maria.lopez@elsewhere.example")
    world.hubspot.add("contacts", firstname="Tom", lastname="Becker", email="t.becker@globex-hq.example")
    account = world.calendar
    assert "Connected calendar" in await world.connect("calendar", account.url, account.username, account.password)
    assert "Connected crm" in await world.connect("crm", HUBSPOT_TOKEN)

    card = await world.chat.say("book a meeting with Maria and Tom next Tuesday")
    assert "crm.search_contacts" in card and "calendar.find_free_slots" in card
    assert "calendar.create_event" in card and "local." not in card
    done = await world.chat.say("approve")
    assert "✓ Run 1: Done" in done, done

    events = [unfolded(e) for e in account.raw_events()]
    assert len(events) == 1
    event = events[0]
    assert "mailto:maria.gonzalez@acme-hq.example" in event.lower()
    assert "mailto:t.becker@globex-hq.example" in event.lower()
    assert "maria.lopez" not in event  # the full name picked the right Maria
    assert "DTSTART;TZID=Europe/London:20261201T090000" in event  # first free slot next Tuesday
    assert HUBSPOT_TOKEN not in world.chat.transcript and account.password not in world.chat.transcript


async def test_invoice_a_client_for_last_month_on_stripe(world: World) -> None:
    acme = stripe_customer(world.stripe, "Acme Corp", "billing@acme.example")
    stripe_customer(world.stripe, "Globex", "ap@globex.example")
    async with world.app.database.session(team=LOCAL_TEAM) as session:  # the chat's team
        unbilled = await billing.unbilled_time(session, period_start=date(2026, 10, 1),
                                               period_end=date(2026, 10, 31), client="Acme Corp")
    expected = unbilled["clients"][0]["amount_cents"]
    assert isinstance(expected, int) and expected > 0
    assert "Connected invoicing" in await world.connect("invoicing", STRIPE_KEY)

    card = await world.chat.say("invoice Acme for last month")
    assert "invoicing.create_invoice" in card and "invoicing.send_invoice" in card
    done = await world.chat.say("approve")
    assert "✓ Run 1: Done" in done, done

    invoices = list(world.stripe.invoices.values())
    assert len(invoices) == 1
    sent = invoices[0]
    assert sent["customer"] == acme and sent["status"] == "open" and sent.get("sent") == 1
    assert sent["total"] == expected and isinstance(sent["total"], int)
    assert sent["currency"] == "usd"
    posts = [(path, key) for method, path, key in world.stripe.requests if method == "POST"]
    assert posts and all(key and key.startswith("deputy:deputy-run1-") for _, key in posts), posts
    # the hours are billed now: asking again finds nothing left to invoice for October
    async with world.app.database.session(team=LOCAL_TEAM) as session:
        again = await billing.unbilled_time(session, period_start=date(2026, 10, 1),
                                            period_end=date(2026, 10, 31), client="Acme Corp")
    assert again["clients"] == []
    assert STRIPE_KEY not in world.chat.transcript


async def test_chase_overdue_stripe_invoices_by_email(world: World) -> None:
    acme = stripe_customer(world.stripe, "Acme Corp", "billing@acme.example")
    globex = stripe_customer(world.stripe, "Globex", "ap@globex.example")
    first = stripe_overdue_invoice(world.stripe, acme, 123456, days_overdue=12)
    second = stripe_overdue_invoice(world.stripe, globex, 50000, days_overdue=3)
    assert "Connected invoicing" in await world.connect("invoicing", STRIPE_KEY)
    smtp = world.smtp
    assert "Connected email" in await world.connect(
        "email", "127.0.0.1", str(smtp.port), "none", "", "", "Dev Patel <dev@demo-agency.example>")

    card = await world.chat.say("chase overdue invoices")
    assert "invoicing.list_overdue" in card and "email.send" in card
    done = await world.chat.say("approve")
    assert "✓ Run 1: Done" in done, done

    received = sorted(smtp.messages, key=lambda m: m.rcpt_tos[0])
    assert [m.rcpt_tos for m in received] == [["ap@globex.example"], ["billing@acme.example"]]
    globex_mail, acme_mail = (m.message for m in received)
    assert acme_mail["Subject"] == f"Payment reminder: invoice {first['number']} (EUR 1,234.56, 12 days overdue)"
    assert f"Invoice {first['number']} for EUR 1,234.56" in acme_mail.get_content()
    assert "12 days overdue" in acme_mail.get_content()
    assert f"Invoice {second['number']} for EUR 500.00" in globex_mail.get_content()
    assert "3 days overdue" in globex_mail.get_content()
    assert all("dev@demo-agency.example" in str(m.message["From"]) for m in received)


async def test_undo_a_meeting_booked_on_caldav(world: World) -> None:
    world.hubspot.add("contacts", firstname="Tom", lastname="Becker", email="t.becker@globex-hq.example")
    account = world.calendar
    await world.connect("calendar", account.url, account.username, account.password)
    await world.connect("crm", HUBSPOT_TOKEN)
    await world.chat.say("book a meeting with Tom next Tuesday")
    done = await world.chat.say("approve")
    assert "✓ Run 1: Done" in done and "undo" in done.lower(), done

    undo = await world.chat.say("undo")
    assert "calendar.cancel_event" in undo, undo  # the undo is a plan, approved like any other
    assert "STATUS:CANCELLED" not in unfolded(account.raw_events()[0])
    assert "✓ Run 2: Done" in await world.chat.say("approve")
    assert "STATUS:CANCELLED" in unfolded(account.raw_events()[0])
