"""Issue 13: one-off appointments checked against the clinic calendar like a series; check-in
and no-show only when they can be true; cancelling asks for a reason and leaves the slot free;
each event of a practitioner's feed carries its own patient's pre-care only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from tests.integration.scheduling_support import ACNE, SchedulingWorld, make_scheduling_world

from microneedling.errors import RuleViolation, SchedulingError, UserError
from microneedling.services import appointments, intakes, patients, plans, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.store import Database
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.scheduling_models import AppointmentBooking, ResourceSlot

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


# The .ics files: each event its own patient's pre-care; nothing clinical for the patient ------


def screened_patient_with_plan(
    clinic: SchedulingWorld, family_name: str, **intake: Any
) -> tuple[int, int]:
    """A patient screened today (a caution acknowledged) with a plan for acne scars."""
    patient_id = patients.register_patient(
        clinic.uow,
        clinic.desk,
        {"given_name": "Pat", "family_name": family_name, "birth_date": "1985-03-04",
         "sex": "female", "fitzpatrick": 2},
        clock=clinic.clock,
    )  # fmt: skip
    intake_id = intakes.record_intake(
        clinic.uow, clinic.desk, patient_id, {"zones": ["cheeks"], **intake}, clock=clinic.clock
    )
    if intake:
        intakes.acknowledge_caution(
            clinic.uow, clinic.clinician, intake_id, note="discussed", clock=clinic.clock
        )
    plan_id = plans.create_plan(
        clinic.uow, clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    return patient_id, plan_id


def events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_each_event_of_a_practitioners_feed_carries_its_own_patients_pre_care_only(
    clinic: SchedulingWorld,
) -> None:
    cold_sores = {"conditions": [{"code": "herpes_labialis_history"}]}
    _, antiviral_plan = screened_patient_with_plan(clinic, "Antiviral", **cold_sores)
    _, plain_plan = screened_patient_with_plan(clinic, "Plain")
    keys = {}
    for plan_id in (antiviral_plan, plain_plan):
        result = scheduling.book_plan(
            clinic.uow, clinic.desk, plan_id, preferences={"practitioner": clinic.anna},
            clock=clinic.clock,
        )  # fmt: skip
        keys[plan_id] = f"{clinic.slug}-series-{result['series'][0]['series_id']}-"
    feed = events(
        scheduling.practitioner_feed(clinic.uow, clinic.desk, clinic.anna, clock=clinic.clock)
    )
    mine = [e for e in feed if str(e["UID"]).startswith(keys[antiviral_plan])]
    theirs = [e for e in feed if str(e["UID"]).startswith(keys[plain_plan])]
    assert mine and theirs
    assert all("antiviral" in str(e["DESCRIPTION"]) for e in mine)
    assert all("antiviral" not in str(e["DESCRIPTION"]) for e in theirs)
    assert all("Stop retinoids" in str(e["DESCRIPTION"]) for e in feed)


def test_a_patients_ics_carries_nothing_clinical_unless_the_clinic_includes_pre_care(
    clinic: SchedulingWorld,
) -> None:
    cold_sores = {"conditions": [{"code": "herpes_labialis_history"}]}
    patient_id, plan_id = screened_patient_with_plan(clinic, "Private", **cold_sores)
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    found = events(
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock)
    )
    assert found
    for event in found:
        text = event.to_ical().decode()
        assert "DESCRIPTION" not in text and "VALARM" not in text
        assert "antiviral" not in text.lower() and "cheeks" not in text.lower()
        assert "acne" not in text.lower() and "retinoid" not in text.lower()
    clinic.configure(patient_ics_includes_precare=True)
    with_precare = events(
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock)
    )
    for event in with_precare:
        assert "Stop retinoids" in str(event["DESCRIPTION"])
        assert "antiviral" in str(event["DESCRIPTION"])
        assert timedelta(days=-7) in [a.decoded("TRIGGER") for a in event.walk("VALARM")]


def test_a_clinic_choice_that_is_not_true_or_false_is_refused(clinic: SchedulingWorld) -> None:
    with pytest.raises(SchedulingError) as refused:
        clinic.configure(patient_ics_includes_precare="sometimes")
    assert refused.value.field == "patient_ics_includes_precare"


# Cancelling: a reason, the slot left free; stopping a whole series --------------------------


def test_cancelling_a_session_needs_a_reason(clinic: SchedulingWorld) -> None:
    ids = booked(clinic)
    with pytest.raises(UserError) as refused:
        scheduling.cancel_session(clinic.uow, clinic.desk, ids[1], reason="  ", clock=clinic.clock)
    assert refused.value.field == "reason"
    assert status_of(clinic, ids[1]) == "scheduled"


def test_stopping_a_series_cancels_every_session_to_come_with_one_reason(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    result = scheduling.stop_series(
        clinic.uow, clinic.desk, series_of(clinic, ids[0]), reason="Moving abroad",
        clock=clinic.clock,
    )  # fmt: skip
    assert result["cancelled_appointments"] == sorted(ids) and result["created"] == []
    assert [status_of(clinic, i) for i in ids] == ["cancelled"] * 3
    with clinic.uow:
        rows = [clinic.uow.session.get(AppointmentRow, i) for i in ids]
        assert {row.cancellation_reason for row in rows if row} == {"Moving abroad"}
        assert (
            clinic.uow.session.execute(
                select(func.count()).where(ResourceSlot.appointment_id.in_(ids))
            ).scalar_one()
            == 0
        )


def series_of(clinic: SchedulingWorld, appointment_id: int) -> int:
    with clinic.uow:
        booking = clinic.uow.session.get(AppointmentBooking, appointment_id)
        assert booking is not None
        return booking.series_id
