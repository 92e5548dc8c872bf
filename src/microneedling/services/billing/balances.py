"""What the clinic holds for its patients: the unredeemed value of its packages (prepaid
sessions not yet used), the list of its invoices, and moving a package to another patient."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor
from microneedling.services.billing.access import BillingTransaction, session_of
from microneedling.services.billing.ledger import amounts_of, check_id
from microneedling.services.billing.money import from_minor, plain, share
from microneedling.services.billing.packages import redeemed_count
from microneedling.services.billing.settings import _text
from microneedling.services.clock import Clock, utc_now
from microneedling.services.patients import require_patient
from microneedling.store import UnitOfWork
from microneedling.store.billing_models import Invoice, Package
from microneedling.store.models import Patient


def unredeemed_value(
    uow: UnitOfWork, actor: Actor, *, on: date | None = None, clock: Clock = utc_now
) -> dict[str, Any]:
    """Every active package with sessions left on ``on`` (default: the clinic's today), its
    sessions left and their value (the price shared per session), with the totals per currency;
    expired packages are listed apart (their value is no longer owed in sessions)."""
    with BillingTransaction(uow, actor, "billing.read", clock, reading=True) as tx:
        session = session_of(tx)
        day = on or tx.today
        rows = session.execute(
            select(Package, Patient)
            .join(Patient, Patient.id == Package.patient_id)
            .where(Package.clinic_id == actor.clinic_id, Package.status == "active")
            .order_by(Package.sold_on, Package.id)
        ).all()
        open_packages: list[dict[str, Any]] = []
        expired: list[dict[str, Any]] = []
        totals: dict[str, Decimal] = {}
        for package, patient in rows:
            left = package.sessions - redeemed_count(session, package.id)
            if left <= 0:
                continue
            price = from_minor(package.price_minor, package.currency)
            value = share(price, left, package.sessions, package.currency)
            entry = {
                "package_id": package.id,
                "patient_id": patient.id,
                "patient": f"{patient.given_name} {patient.family_name}",
                "label": package.label,
                "sold_on": package.sold_on.isoformat(),
                "expires_on": package.expires_on.isoformat() if package.expires_on else None,
                "sessions_left": left,
                "currency": package.currency,
                "value": plain(value, package.currency),
            }
            if package.expires_on is not None and package.expires_on < day:
                expired.append(entry)
                continue
            open_packages.append(entry)
            totals[package.currency] = totals.get(package.currency, Decimal(0)) + value
        report = {
            "on": day.isoformat(),
            "packages": open_packages,
            "expired": expired,
            "totals": {currency: plain(value, currency) for currency, value in totals.items()},
        }
        tx.done(details={"results": len(open_packages)})
    return report


def list_invoices(
    uow: UnitOfWork,
    actor: Actor,
    *,
    first: date | None = None,
    last: date | None = None,
    clock: Clock = utc_now,
) -> list[dict[str, Any]]:
    """The clinic's invoices and credit notes issued from ``first`` to ``last`` (both
    included), by number, with what is paid and still due (owners: the books)."""
    if first is not None and last is not None and first > last:
        raise UserError("the first day is after the last", field="first")
    with BillingTransaction(uow, actor, "billing.read_books", clock, reading=True) as tx:
        session = session_of(tx)
        query = select(Invoice).where(Invoice.clinic_id == actor.clinic_id)
        if first is not None:
            query = query.where(Invoice.issued_on >= first)
        if last is not None:
            query = query.where(Invoice.issued_on <= last)
        found = []
        for invoice in session.execute(query.order_by(Invoice.number)).scalars():
            currency = invoice.currency
            amounts = amounts_of(session, invoice) if invoice.kind == "invoice" else None
            found.append(
                {
                    "id": invoice.id,
                    "number": invoice.number,
                    "display_number": invoice.display_number,
                    "kind": invoice.kind,
                    "issued_on": invoice.issued_on.isoformat(),
                    "patient_id": invoice.patient_id,
                    "currency": currency,
                    "net": plain(from_minor(invoice.net_minor, currency), currency),
                    "tax": plain(from_minor(invoice.tax_minor, currency), currency),
                    "total": plain(from_minor(invoice.total_minor, currency), currency),
                    "due": plain(amounts["due"], currency) if amounts else None,
                }
            )
        tx.done(details={"results": len(found)})
    return found


def transfer_package(
    uow: UnitOfWork,
    actor: Actor,
    package_id: int,
    to_patient_id: int,
    *,
    reason: object,
    clock: Clock = utc_now,
) -> None:
    """Move the sessions left of a package to another patient of the clinic (owners), with the
    reason; the redemptions made so far stay with the package."""
    check_id(package_id, "package_id")
    check_id(to_patient_id, "to_patient_id")
    why = _text(reason, "reason", limit=500, required=True)
    with BillingTransaction(uow, actor, "billing.transfer", clock) as tx:
        package = tx.records.get(Package, package_id, for_update=True)
        if package is None:
            raise NotFound(f"no package {package_id} in this clinic", field="package_id")
        if package.status != "active":
            raise RuleViolation(f"the package is {package.status}", field="package_id")
        patient = require_patient(tx, to_patient_id)
        if patient.id == package.patient_id:
            raise RuleViolation("the package is this patient's already", field="to_patient_id")
        if redeemed_count(session_of(tx), package.id) >= package.sessions:
            raise RuleViolation("the package has no session left", field="package_id")
        before, package.patient_id = package.patient_id, patient.id
        transfers = list(package.terms.get("transfers", []))
        transfers.append({"from_patient": before, "to_patient": patient.id,
                          "at": tx.now.isoformat(), "by": actor.staff_user_id, "reason": why})  # fmt: skip
        package.terms = {**package.terms, "transfers": transfers}
        tx.done(
            patient_id=patient.id,
            entity=("package", package.id),
            details={"from_patient": before, "reason_given": bool(why)},
        )
