"""Late-cancellation and no-show fees, charged as the clinic's billing settings say.

:func:`charge_fee` runs inside the transaction that cancels an appointment or marks it a no-show
(services/appointments.py): a cancellation less than ``fees.late_cancel_hours`` before the start,
or a no-show, gets an invoice of its own with one line naming the session, and an
``appointment_fee`` row (one per appointment, a unique key). A clinic without billing settings or
without that fee charges nothing. The fee is refunded like any invoice (owners: a credit note).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from microneedling.services.access import Transaction
from microneedling.services.billing.access import session_of
from microneedling.services.billing.ledger import LineToBill, issue_invoice
from microneedling.services.billing.settings import billing_of
from microneedling.store.billing_models import AppointmentFee
from microneedling.store.models import Appointment

FEE_WORDS = {"late_cancellation": "Late cancellation fee", "no_show": "Missed session fee"}


def fee_kind(tx: Transaction, appointment: Appointment, status: str) -> str | None:
    """Which fee the change of status calls for under the clinic's settings, if any."""
    billing = billing_of(session_of(tx), tx.actor.clinic_id, required=False)
    if billing is None or billing.fees is None:
        return None
    fees = billing.fees
    if status == "no_show":
        return "no_show" if fees.no_show else None
    if status == "cancelled" and fees.late_cancellation:
        late = appointment.starts_at - tx.now < timedelta(hours=fees.late_cancel_hours)
        return "late_cancellation" if late else None
    return None


def charge_fee(tx: Transaction, appointment: Appointment, status: str) -> dict[str, Any]:
    """Charge the fee the new ``status`` calls for, in ``tx``. Returns what the audit entry's
    details say of it (``{}`` when none: nothing charged)."""
    kind = fee_kind(tx, appointment, status)
    if kind is None:
        return {}
    session = session_of(tx)
    charged = session.execute(
        select(AppointmentFee.id).where(AppointmentFee.appointment_id == appointment.id)
    ).first()
    if charged is not None:
        return {}
    billing = billing_of(session, tx.actor.clinic_id)
    assert billing is not None and billing.fees is not None
    amount = billing.fees.no_show if kind == "no_show" else billing.fees.late_cancellation
    assert amount is not None
    starts = appointment.starts_at.astimezone(ZoneInfo(tx.records.clinic().time_zone))
    line = LineToBill(
        description=f"{FEE_WORDS[kind]}: session of {starts:%Y-%m-%d %H:%M}",
        amount=amount,
        tax_code=billing.treatment_tax,
    )
    reason = (
        f"cancelled less than {billing.fees.late_cancel_hours} hours before the session"
        if kind == "late_cancellation"
        else "the patient did not come to the session"
    )
    invoice = issue_invoice(tx, billing, appointment.patient_id, [line], reason=reason)
    tx.records.add(AppointmentFee(appointment_id=appointment.id, invoice_id=invoice.id, kind=kind))
    tx.flush()
    return {"fee": kind, "fee_invoice": invoice.id}
