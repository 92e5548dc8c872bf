"""The clinic's reports on both backends, each checked against totals computed here from the
raw rows: revenue, utilisation, retention, outcomes by protocol and safety signals (with the
exact Poisson test checked against values worked by hand); owners only; bad periods refused."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.conftest import NOW, Session, World
from tests.integration.test_billing import ACNE, BILLING, FEES, billed, planned_patient

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import adverse_events, appointments, outcomes, plans
from microneedling.services.billing import ledger, packages, settings
from microneedling.services.clock import fixed_clock
from microneedling.services.reports import run_report
from microneedling.services.reports.retention import planned_sessions
from microneedling.services.reports.safety import poisson_p_value
from microneedling.store.billing_models import Invoice, Payment
from microneedling.store.models import AdverseEvent, Appointment, SessionChart, TreatmentPlan

FIRST, LAST = "2026-11-01", "2026-12-31"


def clinic_with_history(world: World) -> dict[str, Any]:
    """Two charted sessions (one with an adverse event), a package paid and partly refunded, a
    gift card, a late cancellation and a no-show, a plan assessed twice."""
    billed(world)
    settings.configure_billing(world.uow, world.owner, {**BILLING, "fees": FEES})
    first = world.ready_session()
    _, plan_id = planned_patient(world)
    sold = packages.sell_catalogue(world.uow, world.front_desk, first.patient_id, "face-3")
    ledger.record_payment(world.uow, world.front_desk, sold["invoice_id"], amount="600.00",
                          method="card", clock=world.clock)  # fmt: skip
    world.chart(first)
    adverse_events.record_adverse_event(
        world.uow, world.clinician, first.patient_id,
        {"kind": "prolonged_erythema", "severity": "mild", "onset_on": "2026-12-01",
         "appointment_id": first.appointment_id},
        clock=world.clock,
    )  # fmt: skip
    ledger.refund(world.uow, world.owner, sold["invoice_id"], reason="moving", amount="100.00")
    second = world.ready_session()
    world.chart(second)
    ledger.issue_gift_card(world.uow, world.front_desk, amount="50.00", clock=world.clock)
    missed = world.patient()
    soon = world.appointment(missed, starts_at=NOW + timedelta(hours=3))
    gone = world.appointment(missed, starts_at=NOW - timedelta(hours=3))
    appointments.set_appointment_status(world.uow, world.front_desk, soon, "cancelled",
                                        reason="ill", clock=world.clock)  # fmt: skip
    appointments.set_appointment_status(world.uow, world.front_desk, gone, "no_show",
                                        clock=world.clock)  # fmt: skip
    planned_patient_id = world_plan_patient(world, plan_id)
    for grade, day in ((1, date(2026, 11, 10)), (3, date(2026, 11, 30))):
        outcomes.record_outcome(world.uow, world.clinician, planned_patient_id, scale="gais",
                                inputs={"grade": grade}, assessed_on=day, plan_id=plan_id,
                                clock=world.clock)  # fmt: skip
    return {"plan_id": plan_id}


def world_plan_patient(world: World, plan_id: int) -> int:
    from microneedling.store.models import TreatmentPlan

    with world.uow:
        plan = world.uow.session.get(TreatmentPlan, plan_id)
        assert plan is not None
        return plan.patient_id


def report(world: World, name: str, first: str = FIRST, last: str = LAST) -> dict[str, Any]:
    return run_report(world.uow, world.owner, name, first=first, last=last, clock=world.clock)


def rows(world: World, model: Any) -> list[Any]:
    with world.uow:
        found = world.uow.session.execute(
            select(model).where(model.clinic_id == world.owner.clinic_id)
        ).scalars()
        columns = [column.key for column in model.__table__.columns]
        return [SimpleNamespace(**{c: getattr(row, c) for c in columns}) for row in found]


def euros(minor: int) -> str:
    return f"{Decimal(minor) / 100:.2f}"


def test_revenue_matches_the_invoices_and_payments_rows(world: World) -> None:
    clinic_with_history(world)
    found = report(world, "revenue")
    invoices = rows(world, Invoice)
    payments = rows(world, Payment)
    invoiced = sum(i.total_minor for i in invoices if i.kind == "invoice")
    credited = -sum(i.total_minor for i in invoices if i.kind == "credit_note")
    received = sum(p.amount_minor for p in payments if p.amount_minor > 0)
    refunded = -sum(p.amount_minor for p in payments if p.amount_minor < 0)
    # 600 package + 50 gift card + 40 late cancellation + 60 no-show; 100 refunded.
    assert invoiced == 75000 and credited == 10000 and received == 60000 and refunded == 10000
    assert found["totals"] == {
        "invoiced": euros(invoiced),
        "credited": euros(credited),
        "received": euros(received),
        "refunded": euros(refunded),
    }
    december = next(m for m in found["months"] if m["month"] == "2026-12")
    assert december["invoiced"] == euros(invoiced)
    assert next(m for m in found["months"] if m["month"] == "2026-11")["invoiced"] == "0.00"
    by_treatment = {row["treatment"]: row["invoiced"] for row in found["by_treatment"]}
    assert by_treatment == {
        "3 sessions face": "600.00",
        "Fees and other": "100.00",
        "Gift cards": "50.00",
    }
    methods = Counter()
    for p in payments:
        methods[p.method] += p.amount_minor
    assert {m["method"]: m["net"] for m in found["by_method"]} == {
        k: euros(v) for k, v in methods.items()
    }
    # Outstanding: what each invoice still has due, as the ledger says, added up.
    due = Decimal(0)
    for invoice in invoices:
        if invoice.kind == "invoice":
            view = ledger.read_invoice(world.uow, world.owner, invoice.id, clock=world.clock)
            due += Decimal(view["amounts"]["due"])
    assert found["outstanding"] == f"{due:.2f}" == "150.00"
    # A period before any of it: all zero.
    empty = report(world, "revenue", "2026-01-01", "2026-01-31")
    assert set(empty["totals"].values()) == {"0.00"} and empty["by_treatment"] == []


def test_utilisation_counts_the_appointment_rows(world: World) -> None:
    clinic_with_history(world)
    found = report(world, "utilisation")
    booked = [a for a in rows(world, Appointment) if a.status != "cancelled"]
    by_person = Counter()
    for a in booked:
        by_person[a.practitioner_id] += a.duration_minutes
    for person in found["practitioners"]:
        assert person["booked_hours"] == round(by_person[person["practitioner_id"]] / 60, 2)
        # The test calendar is open around the clock: 61 days of 24 hours.
        if person["available_hours"]:
            assert person["available_hours"] == 61 * 24
    assert sum(p["booked_hours"] for p in found["practitioners"]) == pytest.approx(
        sum(by_person.values()) / 60
    )
    december = next(m for m in found["months"] if m["month"] == "2026-12")
    statuses = Counter(a.status for a in rows(world, Appointment))
    assert december["no_shows"] == statuses["no_show"] == 1
    assert december["cancelled"] == statuses["cancelled"] == 1
    assert december["late_cancellations"] == 1
    assert sum(m["sessions"] for m in found["months"]) == sum(statuses.values())


def test_safety_signals_count_sessions_and_events_per_lot_against_the_baseline(
    world: World,
) -> None:
    clinic_with_history(world)
    found = report(world, "safety")
    charts = [c for c in rows(world, SessionChart) if c.version == 1]
    events = Counter(e.appointment_id for e in rows(world, AdverseEvent))
    assert found["sessions"] == len(charts) == 2
    assert found["events"] == sum(events.values()) == 1
    assert found["baseline_per_100_sessions"] == 50.0
    per_lot = Counter()
    for chart in charts:
        per_lot[chart.cartridge_lot_id] += events[chart.appointment_id]
    assert {row["id"]: row["events"] for row in found["by_lot"]} == dict(per_lot)
    for row in found["by_lot"]:
        expected = row["sessions"] * 0.5
        assert row["p_value"] == pytest.approx(poisson_p_value(row["events"], expected), abs=1e-6)
        assert row["flagged"] is False  # one event is never a signal


@pytest.mark.parametrize(
    ("events", "expected", "p_value"),
    [
        (0, 2.0, 1.0),
        (1, 0.5, 1 - math.exp(-0.5)),
        (3, 0.5, 1 - math.exp(-0.5) * (1 + 0.5 + 0.125)),
        (5, 1.0, 1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24)),
        (2, 0.0, 0.0),
    ],
)
def test_the_exact_poisson_test_matches_values_worked_by_hand(
    events: int, expected: float, p_value: float
) -> None:
    assert poisson_p_value(events, expected) == pytest.approx(p_value, rel=1e-9)


def test_outcomes_by_protocol_follow_the_assessment_rows(world: World) -> None:
    clinic_with_history(world)
    found = report(world, "outcomes")
    [group] = found["groups"]
    assert (group["scale"], group["concern"], group["zone"]) == ("gais", "acne_scars", "cheeks")
    assert group["plans"] == 1 and group["plans_with_change"] == 1
    assert group["mean_latest"] == 3 and group["mean_change"] == 2


def test_retention_counts_started_and_completed_series(world: World) -> None:
    clinic_with_history(world)
    # No session of those plans was booked against a plan: no series started.
    assert report(world, "retention")["series_started"] == 0
    # A patient charts every session of a plan's series, and one more: back for maintenance.
    session = world.ready_session()
    plan_id = plans.create_plan(world.uow, world.clinician, session.patient_id,
                                {"treatments": [ACNE]}, clock=world.clock)  # fmt: skip
    with world.uow:
        planned = planned_sessions(world.uow.session.get(TreatmentPlan, plan_id).plan)
    for days_ago in range(planned + 1, 0, -1):
        starts = NOW - timedelta(days=days_ago, hours=1)
        appointment = appointments.book_appointment(
            world.uow, world.front_desk, session.patient_id, starts_at=starts, plan_id=plan_id,
            duration_minutes=50, clock=fixed_clock(starts - timedelta(days=1)),
        )  # fmt: skip
        world.chart(Session(session.patient_id, appointment, session.device_id, session.lot_number))
    found = report(world, "retention")
    charted = Counter(
        a.plan_id for a in rows(world, Appointment) if a.status == "completed" and a.plan_id
    )
    assert charted[plan_id] == planned + 1
    assert found["series_started"] == len(charted) == 1
    assert found["series_completed"] == 1 and found["returned_for_maintenance"] == 1
    assert found["completed_percent"] == "100.0" and found["overdue_for_maintenance"] == []


def test_only_owners_read_reports_and_bad_periods_are_refused(world: World) -> None:
    with pytest.raises(PermissionDenied, match="reports"):
        run_report(world.uow, world.front_desk, "revenue", first=FIRST, last=LAST)
    for first, last, field in (
        ("2026-13-01", LAST, "first"),
        (FIRST, "2026-10-01", "last"),
        ("2000-01-01", "2026-01-01", "last"),
        (20261101, LAST, "first"),
        ("1 Nov", LAST, "first"),
    ):
        with pytest.raises(UserError) as refused:
            run_report(world.uow, world.owner, "revenue", first=first, last=last)
        assert refused.value.field == field
    with pytest.raises(UserError, match="no such report"):
        run_report(world.uow, world.owner, "<script>", first=FIRST, last=LAST)
