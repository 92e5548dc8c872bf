"""Issue 13, defect 1: a one-off appointment is checked and reserved like a session of a series
(opening hours, working hours, closures, absences, the practitioner's and the patient's other
bookings, never in the past), through the same reservations, so two people booking the same
time at once get one winner; no calendar, no booking. The clinic is in Berlin (see
scheduling_support: open Monday to Friday 08:00-18:00, Saturday 09:00-13:00; Anna works Monday
to Friday 08:00-16:00, Ben Tuesday to Friday 10:00-18:00 and Saturday; two rooms; one pen;
closed from 24 December to 1 January). "Now" is Tuesday 1 December 2026, 11:00 in Berlin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from tests.integration.scheduling_support import (
    SchedulingWorld,
    local,
    make_scheduling_world,
)
from tests.integration.test_scheduling_concurrency import at_once

from microneedling.errors import Conflict, RuleViolation, SchedulingError
from microneedling.services import appointments, calendar_settings, scheduling
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.migrate import current_revision, downgrade, head_revision, upgrade
from microneedling.store.models import Appointment, AuditEntry
from microneedling.store.scheduling_models import AppointmentBooking, ResourceSlot


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def patient(clinic: SchedulingWorld) -> int:
    return clinic.patient_with_plan()[0]


def book(
    clinic: SchedulingWorld,
    patient_id: int,
    at: str,
    *,
    minutes: int = 60,
    practitioner: int | None = None,
    uow: UnitOfWork | None = None,
) -> int:
    return appointments.book_appointment(
        uow or clinic.uow,
        clinic.desk,
        patient_id,
        starts_at=local(at),
        duration_minutes=minutes,
        practitioner_id=practitioner,
        clock=clinic.clock,
    )


def anna(clinic: SchedulingWorld) -> int:
    return clinic.world.clinician.staff_user_id


def ben(clinic: SchedulingWorld) -> int:
    return clinic.world.clinician2.staff_user_id


def count(clinic: SchedulingWorld, model: Any, appointment_ids: list[int]) -> int:
    column = model.appointment_id if model is not Appointment else model.id
    with clinic.uow:
        return int(
            clinic.uow.session.execute(
                select(func.count()).select_from(model).where(column.in_(appointment_ids))
            ).scalar_one()
        )


# Booked: the time is reserved -----------------------------------------------------------------


def test_a_one_off_reserves_its_practitioner_room_and_device_like_a_series_session(
    clinic: SchedulingWorld,
) -> None:
    appointment_id = book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    with clinic.uow:
        booking = clinic.uow.session.get(AppointmentBooking, appointment_id)
        assert booking is not None
        assert booking.series_id is None and booking.session is None
        assert booking.ends_at == local("2026-12-08T10:00")
        assert booking.free_at == local("2026-12-08T10:10")  # the clinic's 10 minutes' turnover
        assert booking.device_id is not None
    # 70 minutes = 14 steps of 5 minutes, for the practitioner, the room and the device.
    assert count(clinic, ResourceSlot, [appointment_id]) == 14 * 3


def test_without_a_practitioner_named_the_first_free_one_is_booked(
    clinic: SchedulingWorld,
) -> None:
    appointment_id = book(clinic, patient(clinic), "2026-12-08T09:00")
    view = appointments.read_appointment(
        clinic.uow, clinic.desk, appointment_id, clock=clinic.clock
    )
    assert view["practitioner_id"] == anna(clinic)  # Ben starts at 10:00 on Tuesdays


# Refused: clashes (Conflict) ---------------------------------------------------------------------


def test_a_one_off_over_the_practitioners_other_session_is_refused_saying_what_clashes(
    clinic: SchedulingWorld,
) -> None:
    book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    with pytest.raises(Conflict) as refused:
        book(clinic, patient(clinic), "2026-12-08T09:30", practitioner=anna(clinic))
    assert (
        refused.value.message == "Anna already has a session from 09:00 to 10:00 on Tue 8 Dec 2026"
    )
    assert refused.value.field == "starts_at"


def test_a_one_off_in_the_turnover_after_another_session_says_when_the_practitioner_is_free(
    clinic: SchedulingWorld,
) -> None:
    book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    with pytest.raises(Conflict) as refused:
        book(clinic, patient(clinic), "2026-12-08T10:00", practitioner=anna(clinic))
    assert refused.value.message == (
        "Anna already has a session from 09:00 to 10:00 on Tue 8 Dec 2026 (10 minutes' "
        "turnover between sessions: Anna is free from 10:10)"
    )
    book(clinic, patient(clinic), "2026-12-08T10:10", practitioner=anna(clinic))


def test_a_one_off_over_a_session_of_a_booked_series_is_refused(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    picks = [
        {"session": n, "start": s, "practitioner": clinic.anna}
        for n, s in enumerate(["2026-12-08T09:00", "2027-01-05T09:00", "2027-02-02T09:00"], 1)
    ]
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    with pytest.raises(Conflict) as refused:
        book(clinic, patient(clinic), "2026-12-08T09:15", practitioner=anna(clinic))
    assert refused.value.message.startswith("Anna already has a session from 09:00 to ")


def test_a_series_cannot_be_booked_over_a_one_off(clinic: SchedulingWorld) -> None:
    book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    _, plan_id = clinic.patient_with_plan()
    picks = [
        {"session": n, "start": s, "practitioner": clinic.anna}
        for n, s in enumerate(["2026-12-08T09:30", "2027-01-05T09:00", "2027-02-02T09:00"], 1)
    ]
    with pytest.raises(Conflict):
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)


def test_the_patient_cannot_have_two_sessions_at_once_with_different_practitioners(
    clinic: SchedulingWorld,
) -> None:
    patient_id = patient(clinic)
    book(clinic, patient_id, "2026-12-08T10:00", practitioner=anna(clinic))
    with pytest.raises(Conflict) as refused:
        book(clinic, patient_id, "2026-12-08T10:30", practitioner=ben(clinic))
    assert refused.value.message == (
        "The patient already has a session from 10:00 to 11:00 on Tue 8 Dec 2026"
    )


def test_when_every_room_is_taken_the_one_off_is_refused(clinic: SchedulingWorld) -> None:
    calendar = calendar_settings.read_calendar(clinic.uow, clinic.owner, clock=clinic.clock)
    calendar["rooms"] = calendar["rooms"][:1]
    calendar_settings.configure_calendar(clinic.uow, clinic.owner, calendar, clock=clinic.clock)
    book(clinic, patient(clinic), "2026-12-08T10:00", practitioner=anna(clinic))
    with pytest.raises(Conflict) as refused:
        book(clinic, patient(clinic), "2026-12-08T10:00", practitioner=ben(clinic))
    assert refused.value.message == (
        "No treatment room with a usable device is free from 10:00 to 11:10 on Tue 8 Dec 2026 "
        "(turnover included): choose another time"
    )


# Refused: the calendar does not allow it (SchedulingError) ------------------------------------


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2026-12-06T03:00", "The clinic is closed on Sundays"),
        ("2026-12-29T10:00", "The clinic is closed on Tue 29 Dec 2026 (Christmas and New Year)"),
        (
            "2026-12-08T17:30",
            "The clinic is open 08:00–18:00 on Tuesdays: a 60-minute session at 17:30 and the "
            "10 minutes' turnover after it (until 18:40) do not fit; choose another time",
        ),
        (
            "2026-12-08T07:00",
            "The clinic is open 08:00–18:00 on Tuesdays: a 60-minute session at 07:00 and the "
            "10 minutes' turnover after it (until 08:10) do not fit; choose another time",
        ),
    ],
)
def test_a_one_off_when_the_clinic_is_closed_is_refused_with_the_reason(
    clinic: SchedulingWorld, at: str, message: str
) -> None:
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), at, practitioner=anna(clinic))
    assert refused.value.message == message
    assert not isinstance(refused.value, Conflict)


def test_a_one_off_outside_the_practitioners_hours_is_refused_with_them(
    clinic: SchedulingWorld,
) -> None:
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), "2026-12-08T15:30", practitioner=anna(clinic))
    assert refused.value.message == (
        "Anna works 08:00–16:00 on Tuesdays: a 60-minute session at 15:30 and the 10 minutes' "
        "turnover after it (until 16:40) do not fit"
    )
    with pytest.raises(SchedulingError) as monday:
        book(clinic, patient(clinic), "2026-12-07T11:00", practitioner=ben(clinic))
    assert monday.value.message == "Ben does not work on Mondays"


def test_a_one_off_during_the_practitioners_absence_is_refused_with_its_reason(
    clinic: SchedulingWorld,
) -> None:
    calendar_settings.add_absence(
        clinic.uow,
        clinic.owner,
        first=date(2026, 12, 10),
        last=date(2026, 12, 11),
        reason="training",
        practitioner=clinic.anna,
        clock=clinic.clock,
    )
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), "2026-12-10T09:00", practitioner=anna(clinic))
    assert refused.value.message == "Anna is away on Thu 10 Dec 2026 (training)"


def test_a_one_off_in_the_past_is_refused(clinic: SchedulingWorld) -> None:
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), "2026-12-01T09:00", practitioner=anna(clinic))
    assert refused.value.message == "That time has passed: choose a time after now"
    assert refused.value.field == "starts_at"


def test_a_one_off_off_the_five_minute_steps_is_refused(clinic: SchedulingWorld) -> None:
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), "2026-12-08T09:02", practitioner=anna(clinic))
    assert "5-minute steps" in refused.value.message


def test_a_practitioner_without_working_hours_cannot_be_booked(
    database: Database, tmp_path: Path
) -> None:
    clinic = make_scheduling_world(database, tmp_path / "photos", configure=False)
    clinic.configure(practitioners=[{"id": clinic.anna, "hours": {"monday-friday": "08:00-16:00"}}])
    with pytest.raises(SchedulingError) as refused:
        book(clinic, patient(clinic), "2026-12-08T11:00", practitioner=ben(clinic))
    assert refused.value.message.startswith("Ben has no working hours in the clinic calendar")
    assert refused.value.field == "practitioner_id"


def test_a_clinic_without_a_calendar_books_no_one_off_and_says_who_sets_it_up(
    database: Database, tmp_path: Path
) -> None:
    clinic = make_scheduling_world(database, tmp_path / "photos", configure=False)
    with pytest.raises(RuleViolation) as refused:
        book(clinic, patient(clinic), "2026-12-08T11:00", practitioner=anna(clinic))
    assert refused.value.message.startswith("the clinic calendar is not configured yet")


def test_nothing_is_written_when_a_one_off_is_refused(clinic: SchedulingWorld) -> None:
    patient_id = patient(clinic)
    with pytest.raises(SchedulingError):
        book(clinic, patient_id, "2026-12-06T03:00")
    listed = appointments.list_appointments(
        clinic.uow, clinic.desk, patient_id=patient_id, clock=clinic.clock
    )
    assert listed["items"] == []


# Cancelling frees the time -------------------------------------------------------------------


def test_cancelling_a_one_off_frees_its_time_at_once(clinic: SchedulingWorld) -> None:
    first = book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    appointments.set_appointment_status(
        clinic.uow, clinic.desk, first, "cancelled", reason="patient ill", clock=clinic.clock
    )
    assert count(clinic, ResourceSlot, [first]) == 0
    book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))


def test_a_one_off_cannot_be_moved_as_a_session_of_a_series(clinic: SchedulingWorld) -> None:
    appointment_id = book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    with pytest.raises(RuleViolation) as refused:
        scheduling.move_session(
            clinic.uow, clinic.desk, appointment_id, "2026-12-09T09:00", clock=clinic.clock
        )
    assert "was not booked as part of a series" in refused.value.message


def test_a_practitioners_feed_still_lists_sessions_of_series_only(
    clinic: SchedulingWorld,
) -> None:
    book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    feed = scheduling.practitioner_feed(clinic.uow, clinic.desk, clinic.anna, clock=clinic.clock)
    assert b"BEGIN:VEVENT" not in feed


# Two people at once ----------------------------------------------------------------------------


@pytest.fixture
def own_clinic(fresh_database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(fresh_database, tmp_path / "photos")


def test_ten_people_booking_the_same_one_off_slot_at_once_one_wins(
    own_clinic: SchedulingWorld, tmp_path: Path
) -> None:
    clinic = own_clinic
    attempts = 10
    patients = [patient(clinic) for _ in range(attempts)]
    url = clinic.world.database.url.render_as_string(hide_password=False)
    databases = [Database(url) for _ in range(attempts)]  # a connection each

    def attempt(index: int) -> Callable[[], Any]:
        uow = UnitOfWork(databases[index], PhotoFiles(tmp_path / "photos"))
        return lambda: book(
            clinic, patients[index], "2026-12-08T09:00", practitioner=anna(clinic), uow=uow
        )

    with clinic.uow:
        audit_before = clinic.uow.session.execute(
            select(func.count(AuditEntry.sequence))
        ).scalar_one()
    try:
        results = at_once([attempt(index) for index in range(attempts)])
    finally:
        for database in databases:
            database.dispose()
    winners = [result for result in results if isinstance(result, int)]
    losers = [result for result in results if isinstance(result, Conflict)]
    assert len(winners) == 1, results
    assert len(losers) == attempts - 1, results
    with clinic.uow:
        booked = clinic.uow.session.execute(
            select(Appointment.id).where(Appointment.patient_id.in_(patients))
        ).scalars()
        assert list(booked) == winners
        audit_after = clinic.uow.session.execute(
            select(func.count(AuditEntry.sequence))
        ).scalar_one()
    assert audit_after == audit_before + 1
    assert count(clinic, ResourceSlot, winners) == 14 * 3


def test_a_proposal_never_offers_the_time_a_one_off_holds(clinic: SchedulingWorld) -> None:
    """The calendar index sees one-offs as it sees series sessions."""
    book(clinic, patient(clinic), "2026-12-08T08:00", minutes=470, practitioner=anna(clinic))
    _, plan_id = clinic.patient_with_plan()
    proposal = scheduling.propose_plan(
        clinic.uow, clinic.desk, plan_id,
        preferences={"practitioner": clinic.anna, "weekdays": ["tuesday"]}, clock=clinic.clock,
    )  # fmt: skip
    first = proposal["series"][0]["sessions"][0]
    assert not (first["start"].startswith("2026-12-08") and first["practitioner"] == clinic.anna)


# The migration -----------------------------------------------------------------------------------


def test_downgrading_below_0007_drops_only_one_off_bookings_and_the_triggers_still_count(
    own_clinic: SchedulingWorld,
) -> None:
    clinic = own_clinic
    database = clinic.world.database
    one_off = book(clinic, patient(clinic), "2026-12-08T09:00", practitioner=anna(clinic))
    _, plan_id = clinic.patient_with_plan()
    series = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    session = series["series"][0]["sessions"][0]["appointment_id"]
    downgrade(database, "0006")
    with database.engine.begin() as connection:
        bookings = set(connection.execute(text("SELECT appointment_id FROM appointment_booking")))
        assert (one_off,) not in bookings and (session,) in bookings
        held = connection.execute(
            text("SELECT count(*) FROM resource_slot WHERE appointment_id = :id"), {"id": one_off}
        ).scalar_one()
        assert held == 0
        version = connection.execute(
            text("SELECT calendar_version FROM clinic WHERE id = :id"),
            {"id": clinic.owner.clinic_id},
        ).scalar_one()
        connection.execute(
            text("UPDATE appointment_booking SET flag = 'checked' WHERE appointment_id = :id"),
            {"id": session},
        )
        after = connection.execute(
            text("SELECT calendar_version FROM clinic WHERE id = :id"),
            {"id": clinic.owner.clinic_id},
        ).scalar_one()
    assert after > version  # the calendar triggers of 0004 are still there
    upgrade(database)
    assert current_revision(database) == head_revision()
    # The one-off booked before the downgrade still holds Anna's time (as a plain appointment).
    with pytest.raises(Conflict):
        book(clinic, patient(clinic), "2026-12-08T09:30", practitioner=anna(clinic))
    again = book(clinic, patient(clinic), "2026-12-09T13:00", practitioner=anna(clinic))
    assert count(clinic, ResourceSlot, [again]) == 14 * 3
    with pytest.raises(Conflict):
        book(clinic, patient(clinic), "2026-12-09T13:30", practitioner=anna(clinic))
