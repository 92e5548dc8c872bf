"""Issue 13: one-off appointments checked against the clinic calendar like a series; check-in
and no-show only when they can be true; cancelling asks for a reason and leaves the slot free;
each event of a practitioner's feed carries its own patient's pre-care only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.scheduling_support import SchedulingWorld, make_scheduling_world

from microneedling.errors import RuleViolation
from microneedling.services import appointments, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.store import Database

TUESDAYS = ["2026-12-08T10:00", "2027-01-05T10:00", "2027-02-02T10:00"]


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def booked(clinic: SchedulingWorld, starts: list[str] = TUESDAYS) -> list[int]:
    """A series booked at these times (Berlin); its appointment ids by session."""
    _, plan_id = clinic.patient_with_plan()
    picks = [{"session": n, "start": s} for n, s in enumerate(starts, start=1)]
    result = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    return [s["appointment_id"] for s in result["series"][0]["sessions"]]


def status_of(clinic: SchedulingWorld, appointment_id: int) -> str:
    view = appointments.read_appointment(
        clinic.uow, clinic.desk, appointment_id, clock=clinic.clock
    )
    return str(view["status"])


# Check-in and no-show ---------------------------------------------------------------------------


def test_a_session_a_week_ahead_cannot_be_checked_in_today(clinic: SchedulingWorld) -> None:
    ids = booked(clinic)
    with pytest.raises(RuleViolation) as refused:
        appointments.set_appointment_status(
            clinic.uow, clinic.desk, ids[0], "checked_in", clock=clinic.clock
        )
    assert refused.value.message == (
        "Patients are checked in on the day of their session: this one is on Tue 8 Dec 2026, "
        "today is Tue 1 Dec 2026"
    )
    assert status_of(clinic, ids[0]) == "scheduled"


def test_a_session_months_ahead_cannot_be_marked_no_show(clinic: SchedulingWorld) -> None:
    ids = booked(clinic)
    with pytest.raises(RuleViolation) as refused:
        appointments.set_appointment_status(
            clinic.uow, clinic.desk, ids[2], "no_show", clock=clinic.clock
        )
    assert refused.value.message == (
        "A session can be marked no-show only once its start time has passed: this one starts "
        "Tue 2 Feb 2027 10:00"
    )
    assert status_of(clinic, ids[2]) == "scheduled"


def test_on_the_session_day_the_patient_is_checked_in_and_after_its_start_a_no_show_is_marked(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    early_morning = fixed_clock(datetime(2026, 12, 8, 7, 0, tzinfo=UTC))  # 08:00 in Berlin
    appointments.set_appointment_status(
        clinic.uow, clinic.desk, ids[0], "checked_in", clock=early_morning
    )
    assert status_of(clinic, ids[0]) == "checked_in"
    with pytest.raises(RuleViolation):  # 10:00 has not come yet
        appointments.set_appointment_status(
            clinic.uow, clinic.desk, ids[0], "no_show", clock=early_morning
        )
    after_start = fixed_clock(datetime(2026, 12, 8, 9, 30, tzinfo=UTC))  # 10:30 in Berlin
    appointments.set_appointment_status(
        clinic.uow, clinic.desk, ids[0], "no_show", clock=after_start
    )
    assert status_of(clinic, ids[0]) == "no_show"
