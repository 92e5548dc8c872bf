"""Packages: sold from a plan's quote or the clinic's catalogue, one invoice per sale; each
charted session redeems one session of the patient's package (the redemption ledger)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.clinical.dates import add_months
from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.access import Actor
from microneedling.services.billing.access import BillingTransaction, session_of
from microneedling.services.billing.ledger import (
    BUSY,
    LineToBill,
    amounts_of,
    check_id,
    invoice_view,
    issue_invoice,
)
from microneedling.services.billing.money import from_minor, plain, round_money, share, to_minor
from microneedling.services.billing.settings import billing_of
from microneedling.services.clock import Clock, local_date, utc_now
from microneedling.services.patients import require_patient
from microneedling.store import UnitOfWork
from microneedling.store.billing_models import Invoice, Package, PackageRedemption
from microneedling.store.models import Appointment, TreatmentPlan

#: Said when the same session is redeemed twice at the same moment.
ALREADY_REDEEMED = "this session was redeemed at the same moment by someone else: reload"


def redeemed_count(session: Session, package_id: int) -> int:
    query = select(func.count()).where(PackageRedemption.package_id == package_id)
    return int(session.execute(query).scalar_one())


def price_list_sha256(price_list: Any) -> str | None:
    if not price_list:
        return None
    text = json.dumps(price_list, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _quoted_amount(value: object, currency: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RuleViolation("the plan's quote cannot be read: plan again") from None
    if not amount.is_finite() or amount < 0 or round_money(amount, currency) != amount:
        raise RuleViolation("the plan's quote cannot be read: plan again")
    return amount


def sell_plan(
    uow: UnitOfWork,
    actor: Actor,
    plan_id: int,
    *,
    series: Sequence[int] | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Sell a plan's quote (all its series, or those given by index from 0): one package per
    series (its sessions, zones, add-ons and series discount as quoted; the price list's SHA-256
    recorded) on one invoice. A series sold already (and not refunded) is refused. Returns the
    invoice's id and the packages' ids."""
    check_id(plan_id, "plan_id")
    if series is not None:
        if not isinstance(series, Sequence) or isinstance(series, str) or not series:
            raise UserError("choose at least one series of the plan", field="series")
        if len(series) > 20:
            raise UserError("a plan has at most 20 series", field="series")
        for index in series:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 20:
                raise UserError("a series is given by its number from 0", field="series")
    with BillingTransaction(uow, actor, "billing.sell", clock) as tx:
        session = session_of(tx)
        plan = tx.records.get(TreatmentPlan, plan_id, for_update=True)
        if plan is None:
            raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
        if plan.status == "cancelled":
            raise RuleViolation("the plan is cancelled", field="plan_id")
        billing = billing_of(session, actor.clinic_id)
        assert billing is not None
        quote = plan.plan.get("quote") if isinstance(plan.plan, dict) else None
        if not quote or not quote.get("lines"):
            raise RuleViolation(
                "this plan has no quote (the clinic had no price list when it was made): "
                "sell from the catalogue, or plan again",
                field="plan_id",
            )
        if quote.get("currency") != billing.currency:
            raise RuleViolation(
                f"the plan was quoted in {quote.get('currency')}, the clinic bills in "
                f"{billing.currency}: plan again",
                field="plan_id",
            )
        lines = list(quote["lines"])
        chosen = sorted(set(series)) if series is not None else list(range(len(lines)))
        for index in chosen:
            if index >= len(lines):
                raise UserError(f"the plan has {len(lines)} series", field="series")
        sold = {
            p.series_index: p.id
            for p in session.execute(
                select(Package).where(
                    Package.plan_id == plan.id,
                    Package.clinic_id == actor.clinic_id,
                    Package.status == "active",
                )
            ).scalars()
        }
        for index in chosen:
            if index in sold:
                raise RuleViolation(
                    f"series {index} of this plan is sold already (package {sold[index]})",
                    field="series",
                )
        digest = price_list_sha256(tx.records.clinic().price_list)
        expires = (
            add_months(tx.today, billing.package_valid_months)
            if billing.package_valid_months
            else None
        )
        to_bill = []
        for index in chosen:
            line = lines[index]
            amount = _quoted_amount(line.get("total"), billing.currency)
            sessions = line.get("sessions")
            if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 1:
                raise RuleViolation("the plan's quote cannot be read: plan again")
            # In the clinic's words (the concerns' and zones' labels), not the policy's codes.
            shipped = shipped_knowledge_base()
            concerns = str(line.get("series") or "Series").split(", ")
            treated = ", ".join(
                shipped.concerns[c].label if c in shipped.concerns else c for c in concerns
            )
            zones = ", ".join(
                shipped.zones[z].label if z in shipped.zones else z for z in line.get("zones") or {}
            )
            add_ons = ", ".join(line.get("add_ons_per_session") or {})
            label = f"{treated}: {sessions} sessions ({zones})"
            if add_ons:
                label += f" with {add_ons}"
            if Decimal(str(line.get("discount", "0"))) > 0:
                label += f", series discount {line['discount']} {billing.currency}"
            package = Package(
                patient_id=plan.patient_id,
                label=label[:300],
                sessions=sessions,
                plan_id=plan.id,
                series_index=index,
                catalogue_code=None,
                terms={"quote_line": line, "knowledge_base_version": plan.knowledge_base_version},
                price_list_sha256=digest,
                currency=billing.currency,
                price_minor=to_minor(amount, billing.currency),
                sold_on=tx.today,
                expires_on=expires,
                status="active",
                created_at=tx.now,
                created_by=actor.staff_user_id,
                clinic_id=actor.clinic_id,
            )
            to_bill.append(
                LineToBill(
                    description=label,
                    amount=amount,
                    tax_code=billing.treatment_tax,
                    package=package,
                )
            )
        invoice = issue_invoice(tx, billing, plan.patient_id, to_bill)
        ids = [line.package.id for line in to_bill if line.package is not None]
        tx.done(
            patient_id=plan.patient_id,
            entity=("invoice", invoice.id),
            details={"plan": plan.id, "packages": ids, "number": invoice.number},
        )
    return {"invoice_id": invoice.id, "package_ids": ids}


def sell_catalogue(
    uow: UnitOfWork, actor: Actor, patient_id: int, code: object, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Sell the clinic's catalogue item ``code`` (e.g. ``face-3``) to a patient."""
    check_id(patient_id, "patient_id")
    if not isinstance(code, str) or not 1 <= len(code) <= 32:
        raise UserError("choose an item of the catalogue", field="code")
    with BillingTransaction(uow, actor, "billing.sell", clock) as tx:
        session = session_of(tx)
        patient = require_patient(tx, patient_id)
        billing = billing_of(session, actor.clinic_id)
        assert billing is not None
        item = billing.catalogue.get(code)
        if item is None:
            raise NotFound("the catalogue has no such item", field="code")
        package = Package(
            patient_id=patient.id,
            label=item.label,
            sessions=item.sessions,
            plan_id=None,
            series_index=None,
            catalogue_code=item.code,
            terms={"catalogue_item": billing.view()["catalogue"][item.code]},
            price_list_sha256=None,
            currency=billing.currency,
            price_minor=to_minor(item.price, billing.currency),
            sold_on=tx.today,
            expires_on=(
                add_months(tx.today, billing.package_valid_months)
                if billing.package_valid_months
                else None
            ),
            status="active",
            created_at=tx.now,
            created_by=actor.staff_user_id,
            clinic_id=actor.clinic_id,
        )
        invoice = issue_invoice(
            tx,
            billing,
            patient.id,
            [LineToBill(item.label, item.price, billing.treatment_tax, package=package)],
        )
        tx.done(
            patient_id=patient.id,
            entity=("invoice", invoice.id),
            details={"catalogue": item.code, "packages": [package.id], "number": invoice.number},
        )
    return {"invoice_id": invoice.id, "package_ids": [package.id]}


def has_active_package(session: Session, clinic_id: int, patient_id: int) -> bool:
    """Whether the patient holds an active package (a cheap check before redeeming)."""
    found = session.execute(
        select(Package.id)
        .where(
            Package.clinic_id == clinic_id,
            Package.patient_id == patient_id,
            Package.status == "active",
        )
        .limit(1)
    ).first()
    return found is not None


def redeem_for_appointment(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    *,
    package_id: int | None = None,
    on_charting: bool = False,
    clock: Clock = utc_now,
) -> int | None:
    """Redeem one session of the patient's package for a charted (or checked-in) appointment.

    ``on_charting`` (charting calls it so after a session is signed): a session redeemed
    already, or a patient with no package covering it, is left as it is, with no audit entry
    (nothing happened but the charting, which has its own).

    The package is ``package_id``, or else the oldest active one with sessions left that has not
    expired on the appointment's day, preferring one sold from the appointment's plan. Returns
    the redemption's id, or None when the patient has no package to redeem from (charting goes
    on without one). A session is redeemed once: a second call for the same appointment is
    refused, and two at the same moment end with one redemption (a unique key)."""
    check_id(appointment_id, "appointment_id")
    if package_id is not None:
        check_id(package_id, "package_id")
    with BillingTransaction(uow, actor, "billing.redeem", clock) as tx:
        session = session_of(tx)
        appointment = tx.records.get(Appointment, appointment_id, for_update=True)
        if appointment is None:
            raise NotFound(
                f"no appointment {appointment_id} in this clinic", field="appointment_id"
            )
        if appointment.status in ("cancelled", "no_show"):
            raise RuleViolation(
                f"a {appointment.status.replace('_', '-')} appointment redeems nothing",
                field="appointment_id",
            )
        done = session.execute(
            select(PackageRedemption).where(PackageRedemption.appointment_id == appointment.id)
        ).scalar_one_or_none()
        if done is not None:
            if on_charting:
                return None  # redeemed already (at check-in, or by hand): leave it
            raise RuleViolation(
                f"this session is redeemed already (package {done.package_id})",
                field="appointment_id",
            )
        day = local_date(appointment.starts_at, tx.records.clinic().time_zone)
        query = (
            select(Package)
            .where(
                Package.clinic_id == actor.clinic_id,
                Package.patient_id == appointment.patient_id,
                Package.status == "active",
            )
            .order_by(Package.sold_on, Package.id)
            .with_for_update()
        )
        if package_id is not None:
            query = query.where(Package.id == package_id)
        usable = []
        for package in session.execute(query).scalars():
            if package.expires_on is not None and package.expires_on < day:
                continue
            if redeemed_count(session, package.id) < package.sessions:
                usable.append(package)
        if not usable:
            if package_id is not None:
                raise RuleViolation(
                    f"package {package_id} of this patient has no session left to redeem "
                    "(used up, expired, refunded or not this patient's)",
                    field="package_id",
                )
            if on_charting:
                return None  # no package covers it: the transaction ends with no change
            tx.done(
                patient_id=appointment.patient_id,
                entity=("appointment", appointment.id),
                details={"redeemed": None},
            )
            return None
        usable.sort(key=lambda p: p.plan_id != appointment.plan_id or p.plan_id is None)
        package = usable[0]
        row = PackageRedemption(
            package_id=package.id,
            appointment_id=appointment.id,
            session_number=redeemed_count(session, package.id) + 1,
            redeemed_at=tx.now,
            redeemed_by=actor.staff_user_id,
        )
        tx.records.add(row)
        tx.flush(ALREADY_REDEEMED)
        tx.done(
            patient_id=appointment.patient_id,
            entity=("package_redemption", row.id),
            details={
                "package": package.id,
                "appointment": appointment.id,
                "session": row.session_number,
            },
            conflict=ALREADY_REDEEMED,
        )
    return row.id


def package_view(session: Session, package: Package, *, on: Any = None) -> dict[str, Any]:
    used = redeemed_count(session, package.id)
    left = package.sessions - used if package.status == "active" else 0
    expired = package.expires_on is not None and on is not None and package.expires_on < on
    price = from_minor(package.price_minor, package.currency)
    redemptions = session.execute(
        select(PackageRedemption)
        .where(PackageRedemption.package_id == package.id)
        .order_by(PackageRedemption.session_number)
    ).scalars()
    return {
        "id": package.id,
        "label": package.label,
        "sessions": package.sessions,
        "redeemed": used,
        "left": 0 if expired else left,
        "status": "expired" if expired and package.status == "active" else package.status,
        "plan_id": package.plan_id,
        "series_index": package.series_index,
        "catalogue_code": package.catalogue_code,
        "currency": package.currency,
        "price": plain(price, package.currency),
        "unredeemed_value": plain(
            share(price, 0 if expired else left, package.sessions, package.currency),
            package.currency,
        ),
        "sold_on": package.sold_on.isoformat(),
        "expires_on": package.expires_on.isoformat() if package.expires_on else None,
        "invoice_id": package.invoice_id,
        "price_list_sha256": package.price_list_sha256,
        "redemptions": [
            {
                "session": r.session_number,
                "appointment_id": r.appointment_id,
                "redeemed_at": r.redeemed_at.isoformat(),
                "redeemed_by": r.redeemed_by,
            }
            for r in redemptions
        ],
    }


def patient_billing(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """A patient's packages (sessions left, expiry, unredeemed value) and invoices (paid,
    still due), oldest first."""
    check_id(patient_id, "patient_id")
    with BillingTransaction(uow, actor, "billing.read", clock, reading=True) as tx:
        session = session_of(tx)
        patient = require_patient(tx, patient_id)
        packages = session.execute(
            select(Package)
            .where(Package.clinic_id == actor.clinic_id, Package.patient_id == patient.id)
            .order_by(Package.id)
        ).scalars()
        invoices = session.execute(
            select(Invoice)
            .where(Invoice.clinic_id == actor.clinic_id, Invoice.patient_id == patient.id)
            .order_by(Invoice.number)
        ).scalars()
        today = tx.today
        view: dict[str, Any] = {
            "patient_id": patient.id,
            "patient": f"{patient.given_name} {patient.family_name}",
            "today": today.isoformat(),
            "packages": [package_view(session, p, on=today) for p in packages],
            "invoices": [invoice_view(session, i) for i in invoices],
        }
        tx.done(patient_id=patient.id, details={"results": len(view["invoices"])})
    return view


def sellable_plans(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's plans that can be sold (not cancelled, with a quote): each series' label,
    sessions and quoted total, and whether it is sold already. For the front desk, who may sell
    a plan without opening it (only its quote is shown)."""
    check_id(patient_id, "patient_id")
    with BillingTransaction(uow, actor, "billing.read", clock, reading=True) as tx:
        session = session_of(tx)
        patient = require_patient(tx, patient_id)
        sold = {
            (p.plan_id, p.series_index)
            for p in session.execute(
                select(Package).where(
                    Package.clinic_id == actor.clinic_id,
                    Package.patient_id == patient.id,
                    Package.status == "active",
                    Package.plan_id.is_not(None),
                )
            ).scalars()
        }
        found = []
        for plan in tx.records.of_patient(TreatmentPlan, patient.id):
            quote = plan.plan.get("quote") if isinstance(plan.plan, dict) else None
            if plan.status == "cancelled" or not quote or not quote.get("lines"):
                continue
            found.append(
                {
                    "plan_id": plan.id,
                    "status": plan.status,
                    "currency": quote.get("currency"),
                    "total": quote.get("total"),
                    "series": [
                        {
                            "index": index,
                            "label": line.get("series"),
                            "sessions": line.get("sessions"),
                            "total": line.get("total"),
                            "sold": (plan.id, index) in sold,
                        }
                        for index, line in enumerate(quote["lines"])
                    ],
                }
            )
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found


__all__ = [
    "BUSY",
    "amounts_of",
    "patient_billing",
    "redeem_for_appointment",
    "sell_catalogue",
    "sell_plan",
    "sellable_plans",
]
