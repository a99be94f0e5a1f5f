"""CRM: contacts, companies, deals and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sdk import PermanentError
from integrations.common.addresses import BadAddress, addr_spec
from integrations.local.matching import suggest
from integrations.local.serialize import company_dict, contact_dict, deal_dict, note_dict
from integrations.local.tables import LocalCompany, LocalContact, LocalDeal, LocalNote

_SUBJECTS: dict[str, Any] = {"contact": LocalContact, "company": LocalCompany, "deal": LocalDeal}


async def _companies_by_id(session: AsyncSession) -> dict[int, LocalCompany]:
    rows = await session.exec(select(LocalCompany))
    return {c.id: c for c in rows.all() if c.id is not None}


def _first_name(name: str) -> str:
    return name.split()[0].lower() if name.split() else ""


def _match(wanted: str, contacts: list[LocalContact]) -> list[LocalContact]:
    """Email, then exact full name, then first name; case-insensitive."""
    key = wanted.strip().lower()
    for test in (lambda c: c.email.lower() == key,
                 lambda c: c.name.lower() == key,
                 lambda c: _first_name(c.name) == key):
        hits = [c for c in contacts if test(c)]
        if hits:
            return hits
    return []


async def find_people(session: AsyncSession, *, names: list[str]) -> dict[str, Any]:
    contacts = list((await session.exec(select(LocalContact).order_by(col(LocalContact.id)))).all())
    companies = await _companies_by_id(session)
    people: list[dict[str, Any]] = []
    problems: list[str] = []
    for wanted in names:
        hits = _match(wanted, contacts)
        if len(hits) == 1:
            c = hits[0]
            company = companies.get(c.company_id) if c.company_id else None
            people.append({"id": c.id, "name": c.name, "email": c.email,
                           "company": company.name if company else None})
        elif len(hits) > 1:
            options = ", ".join(f"{c.name} <{c.email}>" for c in hits)
            problems.append(f"'{wanted}' matches several people: {options}. Use a full name or email.")
        elif "@" in wanted:
            # an outside address is still someone we can invite, if it is one valid address
            try:
                address = addr_spec(wanted, "names")
            except BadAddress as err:
                problems.append(str(err) + ".")
                continue
            people.append({"id": None, "name": address, "email": address, "company": None})
        else:
            hint = suggest(wanted, [c.name for c in contacts])
            problems.append(f"No contact matches '{wanted}'.{hint}")
    if problems:
        raise PermanentError(" ".join(problems))
    emails = list(dict.fromkeys(p["email"] for p in people))
    return {"people": people, "emails": emails}


async def search_crm(session: AsyncSession, *, query: str, kind: str) -> dict[str, Any]:
    q = query.strip().lower()
    companies = await _companies_by_id(session)
    found: dict[str, list[dict[str, Any]]] = {"contacts": [], "companies": [], "deals": []}
    if kind in ("any", "contact"):
        rows = await session.exec(select(LocalContact).where(or_(
            func.lower(LocalContact.name).contains(q, autoescape=True),
            func.lower(LocalContact.email).contains(q, autoescape=True),
        )).order_by(col(LocalContact.name)))
        found["contacts"] = [contact_dict(c, companies.get(c.company_id or 0)) for c in rows.all()]
    if kind in ("any", "company"):
        rows_co = await session.exec(select(LocalCompany).where(or_(
            func.lower(LocalCompany.name).contains(q, autoescape=True),
            func.lower(func.coalesce(LocalCompany.domain, "")).contains(q, autoescape=True),
        )).order_by(col(LocalCompany.name)))
        found["companies"] = [company_dict(c) for c in rows_co.all()]
    if kind in ("any", "deal"):
        rows_d = await session.exec(select(LocalDeal).order_by(col(LocalDeal.name)))
        found["deals"] = [deal_dict(d, companies.get(d.company_id or 0)) for d in rows_d.all()
                          if q in d.name.lower()
                          or (d.company_id in companies and q in companies[d.company_id].name.lower())]
    return {**found, "count": sum(len(v) for v in found.values())}


async def _company_named(session: AsyncSession, name: str) -> LocalCompany | None:
    rows = await session.exec(select(LocalCompany).where(func.lower(LocalCompany.name) == name.strip().lower()))
    return rows.first()


async def _check_email_free(session: AsyncSession, email: str, except_id: int | None = None) -> None:
    rows = await session.exec(select(LocalContact).where(func.lower(LocalContact.email) == email.strip().lower()))
    other = next((c for c in rows.all() if c.id != except_id), None)
    if other:
        raise PermanentError(f"{other.name} (contact {other.id}) already has the email {other.email}.")


async def create_contact(session: AsyncSession, now: datetime, *, name: str, email: str,
                         phone: str | None, title: str | None, company: str | None) -> dict[str, Any]:
    email = addr_spec(email, "email")
    await _check_email_free(session, email)
    owner = await _company_named(session, company) if company else None
    if company and owner is None:
        owner = LocalCompany(name=company.strip(), created_at=now)
        session.add(owner)
        await session.flush()
    contact = LocalContact(name=name.strip(), email=email.strip(), phone=phone, title=title,
                           company_id=owner.id if owner else None, created_at=now)
    session.add(contact)
    await session.flush()
    return {"contact": contact_dict(contact, owner), "id": contact.id}


async def update_contact(session: AsyncSession, *, contact_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    contact = await session.get(LocalContact, contact_id)
    if contact is None:
        raise PermanentError(f"There is no contact with id {contact_id}.")
    if "email" in fields:
        fields = {**fields, "email": addr_spec(fields["email"], "fields.email")}
        await _check_email_free(session, fields["email"], except_id=contact_id)
    previous: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(contact, name) != value:
            previous[name] = getattr(contact, name)
            setattr(contact, name, value)
    session.add(contact)
    company = await session.get(LocalCompany, contact.company_id) if contact.company_id else None
    return {"contact": contact_dict(contact, company), "previous": previous}


async def create_company(session: AsyncSession, now: datetime, *, name: str,
                         domain: str | None) -> dict[str, Any]:
    existing = await _company_named(session, name)
    if existing:
        raise PermanentError(f"The company {existing.name!r} already exists (id {existing.id}).")
    company = LocalCompany(name=name.strip(), domain=domain.strip().lower() if domain else None,
                           created_at=now)
    session.add(company)
    await session.flush()
    return {"company": company_dict(company), "id": company.id}


async def update_deal(session: AsyncSession, now: datetime, *, deal_id: int, stage: str | None,
                      amount_cents: int | None) -> dict[str, Any]:
    deal = await session.get(LocalDeal, deal_id)
    if deal is None:
        raise PermanentError(f"There is no deal with id {deal_id}.")
    previous: dict[str, Any] = {}
    if stage is not None and stage != deal.stage:
        previous["stage"], deal.stage = deal.stage, stage
    if amount_cents is not None and amount_cents != deal.amount_cents:
        previous["amount_cents"], deal.amount_cents = deal.amount_cents, amount_cents
    deal.updated_at = now
    session.add(deal)
    company = await session.get(LocalCompany, deal.company_id) if deal.company_id else None
    return {"deal": deal_dict(deal, company), "previous": previous}


async def add_note(session: AsyncSession, now: datetime, *, subject: str, subject_id: int,
                   body: str, author: str) -> dict[str, Any]:
    if await session.get(_SUBJECTS[subject], subject_id) is None:
        raise PermanentError(f"There is no {subject} with id {subject_id}.")
    note = LocalNote(subject=subject, subject_id=subject_id, body=body, author=author, created_at=now)
    session.add(note)
    await session.flush()
    return {"note": note_dict(note), "id": note.id}


_OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")


async def list_deals(session: AsyncSession, *, stage: str, company: str | None,
                     amount_above_cents: int | None) -> dict[str, Any]:
    companies = await _companies_by_id(session)
    rows = await session.exec(select(LocalDeal).order_by(col(LocalDeal.amount_cents).desc(), col(LocalDeal.name)))
    deals = [deal_dict(d, companies.get(d.company_id or 0)) for d in rows.all()]
    if stage == "open":
        deals = [d for d in deals if d["stage"] in _OPEN_STAGES]
    elif stage != "any":
        deals = [d for d in deals if d["stage"] == stage]
    if company:
        wanted = company.strip().lower()
        names = [c.name for c in companies.values()]
        if not any(wanted in n.lower() for n in names):
            raise PermanentError(f"No company is called '{company}'.{suggest(company, names)}")
        deals = [d for d in deals if d["company"] and wanted in d["company"].lower()]
    if amount_above_cents is not None:
        deals = [d for d in deals if d["amount_cents"] > amount_above_cents]
    return {"deals": deals, "count": len(deals), "total_cents": sum(d["amount_cents"] for d in deals)}
