"""Revenue: invoiced, credited and received by month, invoiced by treatment, payments by
method, and what is still outstanding (invoiced − credited − paid + refunded, over the invoices
of the period).

Money is summed in SQL as whole minor units (exact) and shown in the clinic's currency; a clinic
bills in one currency (services/billing/settings.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from microneedling.services.billing.settings import billing_of
from microneedling.services.reports.common import (
    ReportPeriod,
    as_day,
    money,
    month_of,
    months_between,
    utc_day,
)
from microneedling.store.billing_models import Invoice, InvoiceLine, Package, Payment


def build(session: Session, clinic_id: int, period: ReportPeriod) -> dict[str, Any]:
    billing = billing_of(session, clinic_id, required=False)
    currency = billing.currency if billing else "EUR"
    in_period = and_(
        Invoice.clinic_id == clinic_id,
        Invoice.issued_on >= period.first,
        Invoice.issued_on <= period.last,
    )
    months: dict[str, dict[str, int]] = {
        m: {"invoiced": 0, "credited": 0, "received": 0, "refunded": 0}
        for m in months_between(period.first, period.last)
    }
    by_day = session.execute(
        select(Invoice.issued_on, Invoice.kind, func.sum(Invoice.total_minor))
        .where(in_period)
        .group_by(Invoice.issued_on, Invoice.kind)
    ).all()
    for day, kind, total in by_day:
        key = "invoiced" if kind == "invoice" else "credited"
        months[month_of(as_day(day))][key] += abs(int(total or 0))
    start, end = period.moments
    received_day = utc_day(session, Payment.received_at)
    paid = session.execute(
        select(
            received_day,
            func.sum(case((Payment.amount_minor > 0, Payment.amount_minor), else_=0)),
            func.sum(case((Payment.amount_minor < 0, -Payment.amount_minor), else_=0)),
        )
        .where(
            Payment.clinic_id == clinic_id,
            Payment.received_at >= start,
            Payment.received_at < end,
        )
        .group_by(received_day)
    ).all()
    for received_on, received, refunded in paid:
        month = month_of(as_day(received_on))
        if month in months:
            months[month]["received"] += int(received or 0)
            months[month]["refunded"] += int(refunded or 0)
    methods = session.execute(
        select(Payment.method, func.sum(Payment.amount_minor), func.count())
        .where(
            Payment.clinic_id == clinic_id,
            Payment.received_at >= start,
            Payment.received_at < end,
        )
        .group_by(Payment.method)
        .order_by(Payment.method)
    ).all()
    treatments: dict[str, int] = defaultdict(int)
    label = case(
        (Package.label.is_not(None), Package.label),
        (InvoiceLine.gift_card_id.is_not(None), "Gift cards"),
        else_="Fees and other",
    )
    lines = session.execute(
        select(label, func.sum(InvoiceLine.total_minor))
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(Package, Package.id == InvoiceLine.package_id)
        .where(in_period, Invoice.kind == "invoice")
        .group_by(label)
    ).all()
    for name, total in lines:
        treatments[str(name)] += int(total or 0)
    # Outstanding: the invoices of the period, less their credit notes and what was paid on
    # either (whenever it was paid).
    note = aliased(Invoice)
    invoiced = session.execute(
        select(func.coalesce(func.sum(Invoice.total_minor), 0)).where(
            in_period, Invoice.kind == "invoice"
        )
    ).scalar_one()
    credited = session.execute(
        select(func.coalesce(func.sum(note.total_minor), 0))
        .select_from(note)
        .join(Invoice, Invoice.id == note.credits_invoice_id)
        .where(in_period, Invoice.kind == "invoice")
    ).scalar_one()
    paid_on = session.execute(
        select(func.coalesce(func.sum(Payment.amount_minor), 0))
        .select_from(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(in_period, Invoice.kind == "invoice")
    ).scalar_one()
    refunded_on = session.execute(
        select(func.coalesce(func.sum(Payment.amount_minor), 0))
        .select_from(Payment)
        .join(note, note.id == Payment.invoice_id)
        .join(Invoice, Invoice.id == note.credits_invoice_id)
        .where(in_period, Invoice.kind == "invoice")
    ).scalar_one()
    outstanding = int(invoiced) + int(credited) - int(paid_on) - int(refunded_on)
    totals = {key: sum(m[key] for m in months.values()) for key in next(iter(months.values()))}
    return {
        "currency": currency,
        "months": [
            {"month": m, **{k: money(v, currency) for k, v in row.items()}}
            for m, row in months.items()
        ],
        "totals": {k: money(v, currency) for k, v in totals.items()},
        "by_treatment": [
            {"treatment": name, "invoiced": money(total, currency)}
            for name, total in sorted(treatments.items(), key=lambda item: -item[1])
        ],
        "by_method": [
            {"method": method, "net": money(total, currency), "payments": int(count)}
            for method, total, count in methods
        ],
        "invoiced_in_period": money(invoiced, currency),
        "paid_against_them": money(int(paid_on) + int(refunded_on), currency),
        "outstanding": money(max(outstanding, 0), currency),
    }
