"""The demo clinic's billing history, woven into the demo's timeline (services/demo_clinic.py
calls :func:`schedule_demo_billing` once, before its timeline runs).

Through the use cases, at the moments they would happen: billing set up (EUR, 21 % tax,
late-cancellation and no-show fees, a catalogue) the day the clinic opens; every week, one plan
in three made that week sold as a package and paid (card, cash or bank transfer; one in six
left partly due), so the sessions charted after it redeem it; a catalogue package, a gift card
and a refund (a credit note) along the way. A few dozen calls: the demo stays fast."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from sqlalchemy import select

from microneedling.errors import UserError
from microneedling.services.access import Actor
from microneedling.services.billing import ledger, packages, settings
from microneedling.services.billing.money import from_minor
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork
from microneedling.store.billing_models import Invoice, Package
from microneedling.store.models import TreatmentPlan

DEMO_BILLING = {
    "currency": "EUR",
    "prices_include_tax": True,
    "tax_rates": {"standard": "21", "exempt": "0"},
    "treatment_tax": "standard",
    "tax_id": "NL000099998B57",
    "invoice_address": "Demo street 1, Leiden",
    "invoice_prefix": "DEMO-",
    "package_valid_months": 12,
    "catalogue": {
        "face-3": {"label": "3 sessions face", "sessions": 3, "price": "540.00"},
        "maintenance": {"label": "Maintenance session", "sessions": 1, "price": "180.00"},
    },
    "fees": {"late_cancel_hours": 24, "late_cancellation": "40.00", "no_show": "60.00"},
}
METHODS = ("card", "card", "cash", "bank_transfer")


class DemoTimeline(Protocol):
    """What the demo builder offers: its timeline, its people and its records."""

    uow: UnitOfWork
    today: date
    owner: Actor
    front_desk: Actor

    def at(self, moment: datetime, action: Callable[[datetime], None]) -> None: ...

    def local(self, day: date, hour: int, minute: int = 0) -> datetime: ...

    def clock(self, moment: datetime) -> Clock: ...


def schedule_demo_billing(builder: DemoTimeline, first_day: date) -> None:
    """Put the demo's billing on the builder's timeline from ``first_day``."""
    builder.at(builder.local(first_day - timedelta(days=6), 9), partial(_set_up, builder))
    day = first_day
    while day < builder.today:
        since = builder.local(day - timedelta(days=7), 19)
        builder.at(builder.local(day, 18), partial(_sell_week, builder, since=since))
        day += timedelta(days=7)
    middle = first_day + (builder.today - first_day) / 2
    builder.at(builder.local(middle, 12), lambda now: _gift_card(builder, now))
    builder.at(builder.local(middle + timedelta(days=30), 12), lambda now: _refund(builder, now))


def _set_up(builder: DemoTimeline, now: datetime) -> None:
    settings.configure_billing(builder.uow, builder.owner, DEMO_BILLING, clock=builder.clock(now))


def _sell_week(builder: DemoTimeline, now: datetime, *, since: datetime) -> None:
    with builder.uow:
        plans = builder.uow.session.execute(
            select(TreatmentPlan.id)
            .where(
                TreatmentPlan.clinic_id == builder.owner.clinic_id,
                TreatmentPlan.created_at >= since,
                TreatmentPlan.created_at < now,
            )
            .order_by(TreatmentPlan.id)
        ).scalars()
        chosen = [plan_id for plan_id in plans if plan_id % 3 == 0]
    for plan_id in chosen:
        clock = builder.clock(now)
        try:
            sold = packages.sell_plan(builder.uow, builder.front_desk, plan_id, clock=clock)
        except UserError:
            continue  # a plan without a quote, or sold already
        with builder.uow:
            invoice = builder.uow.session.get(Invoice, sold["invoice_id"])
            assert invoice is not None
            total = from_minor(invoice.total_minor, invoice.currency)
        amount = (total / 2).quantize(Decimal("0.01")) if plan_id % 18 == 0 else total
        if amount > 0:
            ledger.record_payment(
                builder.uow,
                builder.front_desk,
                sold["invoice_id"],
                amount=str(amount),
                method=METHODS[plan_id % len(METHODS)],
                reference=f"TERM-{plan_id:04d}" if METHODS[plan_id % 4] == "card" else None,
                clock=clock,
            )


def _gift_card(builder: DemoTimeline, now: datetime) -> None:
    clock = builder.clock(now)
    seeded = random.Random(f"demo-gift-card-{builder.today.isoformat()}")
    card = ledger.issue_gift_card(
        builder.uow, builder.front_desk, amount="100.00", clock=clock, choose=seeded.choice
    )
    ledger.record_payment(builder.uow, builder.front_desk, card["invoice_id"], amount="100.00",
                          method="cash", clock=clock)  # fmt: skip


def _refund(builder: DemoTimeline, now: datetime) -> None:
    """The first fully paid package with sessions left is refunded: the patient moved away."""
    with builder.uow:
        found: Any = builder.uow.session.execute(
            select(Package.invoice_id)
            .join(Invoice, Invoice.id == Package.invoice_id)
            .where(Package.clinic_id == builder.owner.clinic_id, Package.status == "active")
            .order_by(Package.id)
        ).scalars()
        invoice_ids = list(found)
    for invoice_id in invoice_ids[:10]:
        try:
            ledger.refund(builder.uow, builder.owner, invoice_id, reason="The patient moved away.",
                          method="bank_transfer", clock=builder.clock(now))  # fmt: skip
            return
        except UserError:
            continue
