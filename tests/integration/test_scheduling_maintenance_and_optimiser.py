"""Maintenance due every 6 months after a completed series; clinic-wide optimisation of pending
series (new plans, and booked series a practitioner's absence forces to move)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update
from tests.integration.scheduling_support import SchedulingWorld, day, make_scheduling_world

from microneedling.errors import Conflict, PermissionDenied
from microneedling.services import appointments, calendar_settings, plans, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.store import Database
from microneedling.store.models import Appointment
from microneedling.store.scheduling_models import ResourceSlot


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def completed_history(clinic: SchedulingWorld, last: str, *, via_plan: bool = False) -> int:
    """A patient whose series took place, the last session on ``last``: booked as a series
    (``via_plan``: as plain appointments of a plan marked completed), then completed, as
    charting would (here written directly, the reservations of the old times removed)."""
    patient_id, plan_id = clinic.patient_with_plan()
    last_day = day(last)
    starts = [datetime(last_day.year, last_day.month, last_day.day, 9, tzinfo=UTC) - timedelta(weeks=4 * k)
              for k in (2, 1, 0)]  # fmt: skip
    if via_plan:
        # Booked as the front desk did then: the day before each session.
        ids = [appointments.book_appointment(
            clinic.uow, clinic.desk, patient_id, starts_at=s, plan_id=plan_id,
            clock=fixed_clock(s - timedelta(days=1)))
            for s in starts]  # fmt: skip
        plans.set_plan_status(clinic.uow, clinic.clinician, plan_id, "accepted", clock=clinic.clock)
        plans.set_plan_status(
            clinic.uow, clinic.clinician, plan_id, "completed", clock=clinic.clock
        )
    else:
        booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
        ids = [s["appointment_id"] for s in booked["series"][0]["sessions"]]
    with clinic.uow:
        for appointment_id, start in zip(ids, starts, strict=True):
            clinic.uow.session.execute(
                update(Appointment)
                .where(Appointment.id == appointment_id)
                .values(status="completed", starts_at=start)
            )
        clinic.uow.session.execute(delete(ResourceSlot).where(ResourceSlot.appointment_id.in_(ids)))
        clinic.uow.commit()
    return patient_id


def test_patients_due_or_overdue_for_maintenance_are_listed_most_overdue_first(
    clinic: SchedulingWorld,
) -> None:
    overdue = completed_history(clinic, "2026-05-20")  # due 20 November: 11 days overdue
    soon = completed_history(clinic, "2026-06-15")  # due 15 December: within 30 days
    completed_history(clinic, "2026-09-01")  # due 1 March: not yet
    old_style = completed_history(clinic, "2026-04-10", via_plan=True)  # due 10 October
    booked = completed_history(clinic, "2026-05-01")
    appointments.book_appointment(
        clinic.uow, clinic.desk, booked, starts_at=datetime(2026, 12, 10, 9, tzinfo=UTC),
        clock=clinic.clock,
    )  # fmt: skip
    due = scheduling.maintenance_due_list(clinic.uow, clinic.desk, clock=clinic.clock)
    assert [(d["patient_id"], d["status"], d["due"], d["days_overdue"]) for d in due] == [
        (old_style, "overdue", "2026-10-10", 52),
        (overdue, "overdue", "2026-11-20", 11),
        (soon, "due", "2026-12-15", 0),
    ]
    assert due[0]["name"] == "Ada Lovelace" and due[0]["last_session"] == "2026-04-10"
    wider = scheduling.maintenance_due_list(
        clinic.uow, clinic.desk, horizon_days=120, clock=clinic.clock
    )
    assert len(wider) == 4


def test_a_series_not_yet_completed_is_not_due(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    later = fixed_clock(datetime(2027, 12, 1, 10, tzinfo=UTC))
    assert scheduling.maintenance_due_list(clinic.uow, clinic.desk, clock=later) == []


def within_windows(entry: dict[str, Any]) -> None:
    days = [date.fromisoformat(s["start"][:10]) for s in entry["sessions"]]
    for before, after in pairwise(days):
        assert 28 <= (after - before).days <= 42


@pytest.mark.parametrize("method", ["greedy", "cp-sat"])
def test_the_optimiser_places_pending_plans_and_staff_accept_it(
    clinic: SchedulingWorld, method: str
) -> None:
    pending = [clinic.patient_with_plan()[1] for _ in range(4)]
    steps: list[Any] = []
    result = scheduling.optimise_calendar(
        clinic.uow,
        clinic.clinician,
        method=method,  # type: ignore[arg-type]
        time_limit_seconds=2,
        horizon_days=120,
        progress=steps.append,
        clock=clinic.clock,
    )
    assert steps and steps[-1].done == steps[-1].total
    mine = {e["plan_id"]: e for e in result["series"] if e["plan_id"] in pending}
    assert set(mine) == set(pending)
    assert result["summary"]["in_window"] >= 12
    starts = set()
    for entry in mine.values():
        assert entry["why"] == "not booked yet" and entry["unplaced"] == []
        assert len(entry["sessions"]) == 3
        within_windows(entry)
        assert date.fromisoformat(entry["sessions"][0]["start"][:10]) >= day("2026-12-08")
        starts |= {(s["start"], s["practitioner"]) for s in entry["sessions"]}
    assert len(starts) == 12  # nobody double-booked
    accepted = scheduling.accept_optimised(
        clinic.uow, clinic.desk, result, keys=[mine[p]["key"] for p in pending], clock=clinic.clock
    )
    assert len(accepted["accepted"]) == 4 and accepted["skipped"] == []
    again = scheduling.optimise_calendar(
        clinic.uow, clinic.owner, method="greedy", horizon_days=120, clock=clinic.clock
    )
    assert not {e["plan_id"] for e in again["series"]} & set(pending)
    with pytest.raises(Conflict, match="already booked"):
        scheduling.accept_optimised(
            clinic.uow, clinic.desk, result, keys=[mine[pending[0]]["key"]], clock=clinic.clock
        )


def test_a_practitioners_absence_forces_moves_that_the_optimiser_proposes(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan()
    booked = scheduling.book_plan(
        clinic.uow, clinic.desk, plan_id, preferences={"practitioner": clinic.anna},
        clock=clinic.clock,
    )  # fmt: skip
    series = booked["series"][0]
    second = series["sessions"][1]
    absent = date.fromisoformat(second["start"][:10])
    calendar_settings.add_absence(
        clinic.uow, clinic.owner, practitioner=clinic.anna, first=absent, last=absent,
        reason="training", clock=clinic.clock,
    )  # fmt: skip
    result = scheduling.optimise_calendar(
        clinic.uow, clinic.owner, time_limit_seconds=2, horizon_days=182, clock=clinic.clock
    )
    (entry,) = [e for e in result["series"] if e["series_id"] == series["series_id"]]
    assert entry["first_session"] == 2 and "session 2 no longer fits" in entry["why"]
    assert [s["session"] for s in entry["sessions"]] == [2, 3]
    moved = entry["sessions"][0]
    assert (moved["start"][:10], moved["practitioner"]) != (absent.isoformat(), clinic.anna)
    accepted = scheduling.accept_optimised(clinic.uow, clinic.desk, result, clock=clinic.clock)
    (done,) = [a for a in accepted["accepted"] if a["key"] == entry["key"]]
    assert second["appointment_id"] in done["moved"]
    listed = scheduling.list_series(
        clinic.uow, clinic.desk, booked["patient_id"], clock=clinic.clock
    )
    now_second = listed[0]["sessions"][1]
    assert now_second["appointment_id"] == second["appointment_id"]
    assert now_second["start"][:16] == moved["start"][:16]
    days = [date.fromisoformat(s["start"][:10]) for s in listed[0]["sessions"]]
    for before, after in pairwise(days):
        assert 28 <= (after - before).days <= 42


def test_front_desk_may_not_run_the_optimiser(clinic: SchedulingWorld) -> None:
    with pytest.raises(PermissionDenied):
        scheduling.optimise_calendar(clinic.uow, clinic.desk, clock=clinic.clock)
