"""Invoices numbered without gaps, payments against them, refunds as credit notes, gift cards.

Numbering: the clinic's ``invoice_counter`` row is created if missing (``INSERT … ON CONFLICT DO
NOTHING``), then locked (``SELECT … FOR UPDATE``; on SQLite every write transaction already holds
the database's write lock), read and raised, and the invoice carrying the number is inserted in
the same transaction. A sale that fails rolls its number back with it, so the numbers of a
clinic's invoices and credit notes run 1, 2, 3 … with no gaps and no repeats.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.billing.access import BillingTransaction, session_of
from microneedling.services.billing.money import (
    from_minor,
    parse_amount,
    plain,
    share,
    split_tax,
    to_minor,
)
from microneedling.services.billing.provider import ChargeDeclined, PaymentProvider
from microneedling.services.billing.settings import Billing, _text, billing_of
from microneedling.services.clock import Clock, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.billing_models import (
    PAYMENT_METHODS,
    GiftCard,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Package,
    Payment,
)
from microneedling.store.models import Patient

#: Said when two people change the same invoice or gift card at the same moment.
BUSY = "someone else changed this at the same moment: reload and try again"

METHOD_WORDS = {
    "cash": "cash",
    "card": "card (the clinic's terminal)",
    "bank_transfer": "bank transfer",
    "gift_card": "gift card",
}


def check_id(value: object, field: str) -> int:
    """An id as sent: a whole number from 1 to 2,147,483,647."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2_147_483_647:
        raise UserError("give an id: a whole number from 1 to 2,147,483,647", field=field)
    return value


def take_number(session: Session, clinic_id: int) -> int:
    """The clinic's next invoice number, its counter row locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(InvoiceCounter)
        .values(clinic_id=clinic_id, next_number=1)
        .on_conflict_do_nothing(index_elements=["clinic_id"])
    )
    counter = session.execute(
        select(InvoiceCounter)
        .where(InvoiceCounter.clinic_id == clinic_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    number = counter.next_number
    counter.next_number = number + 1
    return number


@dataclass(frozen=True)
class LineToBill:
    """A line as sold: ``amount`` is what the settings say prices are (gross or net)."""

    description: str
    amount: Decimal
    tax_code: str
    quantity: int = 1
    package: Package | None = None
    gift_card: GiftCard | None = None


def seller_of(tx: Transaction, billing: Billing) -> dict[str, Any]:
    clinic = tx.records.clinic()
    return {
        "name": clinic.name,
        "address": billing.invoice_address,
        "tax_id": billing.tax_id,
        "prices_include_tax": billing.prices_include_tax,
    }


def issue_invoice(
    tx: Transaction,
    billing: Billing,
    patient_id: int | None,
    lines: Sequence[LineToBill],
    *,
    kind: str = "invoice",
    credits: Invoice | None = None,
    reason: str | None = None,
) -> Invoice:
    """Number and write an invoice (or credit note) with its lines; packages and gift cards of
    the lines get the invoice's id."""
    session = session_of(tx)
    currency = billing.currency
    number = take_number(session, tx.actor.clinic_id)
    split = [
        split_tax(
            line.amount,
            billing.rate(line.tax_code),
            currency,
            inclusive=billing.prices_include_tax,
        )
        for line in lines
    ]
    invoice = Invoice(
        patient_id=patient_id,
        kind=kind,
        number=number,
        display_number=f"{billing.invoice_prefix}{number:06d}",
        credits_invoice_id=credits.id if credits else None,
        issued_on=tx.today,
        issued_at=tx.now,
        issued_by=tx.actor.staff_user_id,
        currency=currency,
        net_minor=sum(to_minor(net, currency) for net, _, _ in split),
        tax_minor=sum(to_minor(tax, currency) for _, tax, _ in split),
        total_minor=sum(to_minor(gross, currency) for _, _, gross in split),
        reason=reason,
        seller=seller_of(tx, billing),
    )
    tx.records.add(invoice)
    tx.flush(BUSY)
    for line in lines:
        if line.package is not None:
            line.package.invoice_id = invoice.id
            tx.records.add(line.package)
    tx.flush(BUSY)
    for position, (line, (net, tax, gross)) in enumerate(zip(lines, split, strict=True), 1):
        tx.records.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                description=line.description[:300],
                quantity=line.quantity,
                tax_code=line.tax_code,
                tax_percent=str(billing.rate(line.tax_code)),
                net_minor=to_minor(net, currency),
                tax_minor=to_minor(tax, currency),
                total_minor=to_minor(gross, currency),
                package_id=line.package.id if line.package else None,
                gift_card_id=line.gift_card.id if line.gift_card else None,
            )
        )
    tx.flush(BUSY)
    return invoice


# Reading ---------------------------------------------------------------------------------------


def _payments(session: Session, invoice_ids: Sequence[int]) -> list[Payment]:
    if not invoice_ids:
        return []
    query = select(Payment).where(Payment.invoice_id.in_(invoice_ids)).order_by(Payment.id)
    return list(session.execute(query).scalars())


def _credit_notes(session: Session, invoice: Invoice) -> list[Invoice]:
    query = select(Invoice).where(
        Invoice.credits_invoice_id == invoice.id, Invoice.clinic_id == invoice.clinic_id
    )
    return list(session.execute(query.order_by(Invoice.id)).scalars())


def amounts_of(session: Session, invoice: Invoice) -> dict[str, Decimal]:
    """Total, paid, refunded, still due and refundable of an invoice, as Decimals."""
    currency = invoice.currency
    paid = sum((p.amount_minor for p in _payments(session, [invoice.id])), 0)
    notes = _credit_notes(session, invoice)
    refunded = -sum((p.amount_minor for p in _payments(session, [n.id for n in notes])), 0)
    credited = -sum((n.total_minor for n in notes), 0)
    total = invoice.total_minor
    return {
        "total": from_minor(total, currency),
        "paid": from_minor(paid, currency),
        "credited": from_minor(credited, currency),
        "refunded": from_minor(refunded, currency),
        "due": from_minor(max(total - credited - paid + refunded, 0), currency),
        "refundable": from_minor(paid - refunded, currency),
    }


def invoice_view(session: Session, invoice: Invoice) -> dict[str, Any]:
    currency = invoice.currency
    lines = session.execute(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.position)
    ).scalars()
    money = amounts_of(session, invoice) if invoice.kind == "invoice" else None
    return {
        "id": invoice.id,
        "kind": invoice.kind,
        "number": invoice.number,
        "display_number": invoice.display_number,
        "patient_id": invoice.patient_id,
        "credits_invoice_id": invoice.credits_invoice_id,
        "issued_on": invoice.issued_on.isoformat(),
        "currency": currency,
        "net": plain(from_minor(invoice.net_minor, currency), currency),
        "tax": plain(from_minor(invoice.tax_minor, currency), currency),
        "total": plain(from_minor(invoice.total_minor, currency), currency),
        "reason": invoice.reason,
        "seller": invoice.seller,
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": line.quantity,
                "tax_code": line.tax_code,
                "tax_percent": line.tax_percent,
                "net": plain(from_minor(line.net_minor, currency), currency),
                "tax": plain(from_minor(line.tax_minor, currency), currency),
                "total": plain(from_minor(line.total_minor, currency), currency),
                "package_id": line.package_id,
            }
            for line in lines
        ],
        "payments": [
            {
                "id": p.id,
                "method": p.method,
                "amount": plain(from_minor(p.amount_minor, currency), currency),
                "reference": p.reference,
                "received_at": p.received_at.isoformat(),
            }
            for p in _payments(session, [invoice.id])
        ],
        "amounts": {k: plain(v, currency) for k, v in money.items()} if money else None,
    }


def read_invoice(
    uow: UnitOfWork, actor: Actor, invoice_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """An invoice or credit note with its lines, payments and what is still due."""
    check_id(invoice_id, "invoice_id")
    with BillingTransaction(uow, actor, "billing.read", clock, reading=True) as tx:
        invoice = tx.records.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id} in this clinic", field="invoice_id")
        view = invoice_view(session_of(tx), invoice)
        if invoice.credits_invoice_id is not None:
            credited = tx.records.get(Invoice, invoice.credits_invoice_id)
            view["credits_display_number"] = credited.display_number if credited else None
        if invoice.patient_id is not None:
            patient = tx.records.get(Patient, invoice.patient_id)
            if patient is not None:
                view["patient"] = f"{patient.given_name} {patient.family_name}"
        tx.done(patient_id=invoice.patient_id, entity=("invoice", invoice.id))
    return view


# Payments --------------------------------------------------------------------------------------


def _reference(value: object) -> str | None:
    return _text(value, "reference", limit=100, required=False)


def _gift_card(tx: Transaction, code: object, currency: str) -> GiftCard:
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        raise UserError("give the gift card's code", field="gift_card_code")
    card = (
        session_of(tx)
        .execute(
            select(GiftCard)
            .where(GiftCard.clinic_id == tx.actor.clinic_id, GiftCard.code == code.strip().upper())
            .with_for_update()
        )
        .scalar_one_or_none()
    )
    if card is None:
        raise NotFound("no gift card with this code in this clinic", field="gift_card_code")
    if card.currency != currency:
        raise RuleViolation(f"this gift card is in {card.currency}", field="gift_card_code")
    return card


def _method(method: object) -> str:
    if method not in PAYMENT_METHODS:
        raise UserError(
            "choose how it is paid: cash, card, bank_transfer or gift_card", field="method"
        )
    return str(method)


def record_payment(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: int,
    *,
    amount: object,
    method: object,
    currency: object = None,
    reference: object = None,
    gift_card_code: object = None,
    clock: Clock = utc_now,
    provider: PaymentProvider | None = None,
) -> int:
    """Record money received against an invoice: at most what is still due. A card payment is
    taken on the clinic's terminal (its reference may be noted here), or charged through
    ``provider`` (services/billing/provider.py) when one is given; a gift card payment takes
    the amount off the card's balance. ``currency``, when given, must be the invoice's."""
    check_id(invoice_id, "invoice_id")
    method = _method(method)
    note = _reference(reference)
    with BillingTransaction(uow, actor, "billing.pay", clock) as tx:
        invoice = tx.records.get(Invoice, invoice_id, for_update=True)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id} in this clinic", field="invoice_id")
        if invoice.kind != "invoice":
            raise RuleViolation("a credit note is not paid: it is refunded", field="invoice_id")
        if currency is not None and currency != invoice.currency:
            raise UserError(f"this invoice is in {invoice.currency}", field="currency")
        paid = parse_amount(amount, invoice.currency, field="amount")
        due = amounts_of(session_of(tx), invoice)["due"]
        if paid > due:
            raise RuleViolation(
                f"only {plain(due, invoice.currency)} {invoice.currency} is still due on "
                f"{invoice.display_number}",
                field="amount",
            )
        card = None
        if method == "gift_card":
            card = _gift_card(tx, gift_card_code, invoice.currency)
            balance = from_minor(card.balance_minor, card.currency)
            if paid > balance:
                raise RuleViolation(
                    f"the gift card holds {plain(balance, card.currency)} {card.currency}",
                    field="amount",
                )
            card.balance_minor -= to_minor(paid, card.currency)
        if method == "card" and provider is not None:
            asked = f"{invoice.display_number}/{to_minor(paid, invoice.currency)}"
            try:
                note = provider.charge(paid, invoice.currency, asked)[:100]
            except ChargeDeclined as declined:
                raise RuleViolation(
                    f"the card payment was declined: {declined.reason}", field="amount"
                ) from None
        row = Payment(
            invoice_id=invoice.id,
            method=method,
            currency=invoice.currency,
            amount_minor=to_minor(paid, invoice.currency),
            reference=note,
            gift_card_id=card.id if card else None,
            received_at=tx.now,
            received_by=actor.staff_user_id,
        )
        tx.records.add(row)
        tx.flush(BUSY)
        tx.done(
            patient_id=invoice.patient_id,
            entity=("payment", row.id),
            details={"invoice": invoice.id, "method": method, "amount": plain(paid, row.currency)},
            conflict=BUSY,
        )
    return row.id


# Refunds ---------------------------------------------------------------------------------------


def _unredeemed_value(session: Session, packages: Sequence[Package]) -> Decimal:
    from microneedling.services.billing.packages import redeemed_count

    total = Decimal(0)
    for package in packages:
        if package.status != "active":
            continue
        left = package.sessions - redeemed_count(session, package.id)
        total += share(from_minor(package.price_minor, package.currency), left, package.sessions,
                       package.currency)  # fmt: skip
    return total


def refund(
    uow: UnitOfWork,
    actor: Actor,
    invoice_id: int,
    *,
    reason: object,
    amount: object = None,
    method: object = "cash",
    reference: object = None,
    gift_card_code: object = None,
    clock: Clock = utc_now,
) -> int:
    """Refund money paid on an invoice (owners), with the reason: a numbered credit note and the
    money paid back (a negative payment on the credit note).

    Without ``amount``: the value of the sessions not yet redeemed of its packages (their price
    shared per session), or everything paid when the invoice holds no package; never more than
    was paid and not yet refunded. A refund that covers every unredeemed session closes the
    packages (status ``refunded``): they redeem nothing more. Returns the credit note's id."""
    check_id(invoice_id, "invoice_id")
    why = _text(reason, "reason", limit=500, required=True)
    method = _method(method)
    note = _reference(reference)
    with BillingTransaction(uow, actor, "billing.refund", clock) as tx:
        session = session_of(tx)
        invoice = tx.records.get(Invoice, invoice_id, for_update=True)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id} in this clinic", field="invoice_id")
        if invoice.kind != "invoice":
            raise RuleViolation("a credit note cannot be refunded", field="invoice_id")
        billing = billing_of(session, actor.clinic_id)
        assert billing is not None
        currency = invoice.currency
        if billing.currency != currency:
            raise RuleViolation(f"this invoice is in {currency}", field="invoice_id")
        refundable = amounts_of(session, invoice)["refundable"]
        packages = list(
            session.execute(
                select(Package).where(Package.invoice_id == invoice.id).with_for_update()
            ).scalars()
        )
        unredeemed = _unredeemed_value(session, packages)
        if amount is None:
            back = min(refundable, unredeemed) if packages else refundable
            if back <= 0:
                raise RuleViolation(
                    "nothing to refund: nothing paid is left unredeemed", field="amount"
                )
        else:
            back = parse_amount(amount, currency, field="amount")
            if back > refundable:
                raise RuleViolation(
                    f"at most {plain(refundable, currency)} {currency} paid on "
                    f"{invoice.display_number} can be refunded",
                    field="amount",
                )
        card = _gift_card(tx, gift_card_code, currency) if method == "gift_card" else None
        # The credit note carries the invoice's tax in proportion.
        tax = (
            share(from_minor(invoice.tax_minor, currency), to_minor(back, currency),
                  invoice.total_minor, currency)
            if invoice.total_minor else Decimal(0)
        )  # fmt: skip
        number = take_number(session, actor.clinic_id)
        credit = Invoice(
            patient_id=invoice.patient_id,
            kind="credit_note",
            number=number,
            display_number=f"{billing.invoice_prefix}{number:06d}",
            credits_invoice_id=invoice.id,
            issued_on=tx.today,
            issued_at=tx.now,
            issued_by=actor.staff_user_id,
            currency=currency,
            net_minor=-to_minor(back - tax, currency),
            tax_minor=-to_minor(tax, currency),
            total_minor=-to_minor(back, currency),
            reason=why,
            seller=seller_of(tx, billing),
        )
        tx.records.add(credit)
        tx.flush(BUSY)
        tx.records.add(
            InvoiceLine(
                invoice_id=credit.id,
                position=1,
                description=f"Refund on {invoice.display_number}: {why}"[:300],
                quantity=1,
                tax_code="refund",
                tax_percent="",
                net_minor=credit.net_minor,
                tax_minor=credit.tax_minor,
                total_minor=credit.total_minor,
            )
        )
        if card is not None:
            card.balance_minor += to_minor(back, currency)
        tx.records.add(
            Payment(
                invoice_id=credit.id,
                method=method,
                currency=currency,
                amount_minor=-to_minor(back, currency),
                reference=note,
                gift_card_id=card.id if card else None,
                received_at=tx.now,
                received_by=actor.staff_user_id,
            )
        )
        closed = []
        if packages and back >= unredeemed:
            for package in packages:
                if package.status == "active":
                    package.status = "refunded"
                    closed.append(package.id)
        tx.flush(BUSY)
        tx.done(
            patient_id=invoice.patient_id,
            entity=("invoice", credit.id),
            details={
                "credits": invoice.id,
                "amount": plain(back, currency),
                "method": method,
                "packages_closed": closed,
            },
            conflict=BUSY,
        )
    return credit.id


# Gift cards ------------------------------------------------------------------------------------


def issue_gift_card(
    uow: UnitOfWork,
    actor: Actor,
    *,
    amount: object,
    clock: Clock = utc_now,
    choose: Callable[[str], str] = secrets.choice,
) -> dict[str, Any]:
    """A new gift card with a random code, sold on an invoice of its own (exempt from tax when
    the clinic has a 0 % rate, else at its treatment rate); its payment is recorded like any
    other. Returns the card's id, code and invoice id. ``choose`` picks each character of the
    code (a seeded one makes the demo repeatable)."""
    with BillingTransaction(uow, actor, "billing.gift_card", clock) as tx:
        session = session_of(tx)
        billing = billing_of(session, actor.clinic_id)
        assert billing is not None
        value = parse_amount(amount, billing.currency, field="amount")
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        code = "-".join("".join(choose(alphabet) for _ in range(4)) for _ in range(3))
        card = GiftCard(
            code=code,
            currency=billing.currency,
            initial_minor=to_minor(value, billing.currency),
            balance_minor=to_minor(value, billing.currency),
            issued_at=tx.now,
            issued_by=actor.staff_user_id,
        )
        tx.records.add(card)
        tx.flush(BUSY)
        exempt = [code for code, rate in billing.tax_rates.items() if rate == 0]
        invoice = issue_invoice(
            tx,
            billing,
            None,
            [
                LineToBill(
                    description=f"Gift card {code}",
                    amount=value,
                    tax_code=exempt[0] if exempt else billing.treatment_tax,
                    gift_card=card,
                )
            ],
        )
        tx.done(
            entity=("gift_card", card.id),
            details={"invoice": invoice.id, "amount": plain(value, billing.currency)},
        )
    return {"id": card.id, "code": code, "invoice_id": invoice.id}


def gift_card_balance(
    uow: UnitOfWork, actor: Actor, code: object, *, clock: Clock = utc_now
) -> dict[str, Any]:
    with BillingTransaction(uow, actor, "billing.read", clock, reading=True) as tx:
        if not isinstance(code, str) or not code.strip() or len(code) > 32:
            raise UserError("give the gift card's code", field="gift_card_code")
        card = (
            session_of(tx)
            .execute(
                select(GiftCard).where(
                    GiftCard.clinic_id == actor.clinic_id, GiftCard.code == code.strip().upper()
                )
            )
            .scalar_one_or_none()
        )
        if card is None:
            raise NotFound("no gift card with this code in this clinic", field="gift_card_code")
        view = {
            "id": card.id,
            "code": card.code,
            "currency": card.currency,
            "initial": plain(from_minor(card.initial_minor, card.currency), card.currency),
            "balance": plain(from_minor(card.balance_minor, card.currency), card.currency),
        }
        tx.done(entity=("gift_card", card.id))
    return view
