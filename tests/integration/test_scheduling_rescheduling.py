"""Moving or cancelling one session: the later ones are re-proposed inside their windows, or
flagged with the reason; the database follows (same appointment rows, new reservations)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.integration.scheduling_support import SchedulingWorld, day, make_scheduling_world

from microneedling.errors import RuleViolation, SchedulingError
from microneedling.services import appointments, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.store import Database
from microneedling.store.models import Appointment
from microneedling.store.scheduling_models import AppointmentBooking, ResourceSlot

TUESDAYS = ["2026-12-08T10:00", "2027-01-05T10:00", "2027-02-02T10:00"]


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def booked(clinic: SchedulingWorld, starts: list[str] = TUESDAYS) -> list[int]:
    """A series booked at these times; its appointment ids by session."""
    _, plan_id = clinic.patient_with_plan()
    picks = [{"session": n, "start": s} for n, s in enumerate(starts, start=1)]
    result = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    return [s["appointment_id"] for s in result["series"][0]["sessions"]]


def by_session(result: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {item["session"]: item for item in result["sessions"]}


def start_day(item: dict[str, Any]) -> date:
    return date.fromisoformat(item["start"][:10])


def reservations(clinic: SchedulingWorld, appointment_id: int) -> tuple[int, str]:
    with clinic.uow:
        rows = clinic.uow.session.execute(
            select(func.count(), func.min(ResourceSlot.slot_start)).where(
                ResourceSlot.appointment_id == appointment_id
            )
        ).one()
    return rows[0], rows[1].isoformat() if rows[1] else ""


def test_moving_a_session_re_proposes_the_later_ones_inside_their_windows(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    result = scheduling.move_session(
        clinic.uow, clinic.desk, ids[1], "2027-01-12T11:00", clock=clinic.clock
    )
    sessions = by_session(result)
    assert sessions[1]["status"] == "kept"
    assert sessions[2]["status"] == "moved" and sessions[2]["start"].startswith("2027-01-12T11:00")
    # Session 3 was 4 weeks after the old session 2: 3 weeks after the new one, so it moves into
    # 9–23 February, on the same appointment row.
    assert sessions[3]["status"] == "moved"
    assert day("2027-02-09") <= start_day(sessions[3]) <= day("2027-02-23")
    assert "was 2027-02-02" in sessions[3]["note"]
    assert sessions[3]["appointment_id"] == ids[2]
    assert result["moved"] == [ids[1], ids[2]] and result["flagged"] == []
    assert reservations(clinic, ids[1]) == (39, "2027-01-12T10:00:00+00:00")
    with clinic.uow:
        row = clinic.uow.session.get(Appointment, ids[2])
        assert row is not None and row.status == "scheduled"


def test_a_later_session_still_inside_its_window_stays(clinic: SchedulingWorld) -> None:
    ids = booked(clinic, ["2026-12-08T10:00", "2027-01-05T10:00", "2027-02-16T10:00"])
    result = scheduling.move_session(
        clinic.uow, clinic.desk, ids[1], "2027-01-08T10:00", clock=clinic.clock
    )
    sessions = by_session(result)
    assert sessions[3]["status"] == "kept" and sessions[3]["start"].startswith("2027-02-16")
    assert result["moved"] == [ids[1]]


def test_a_move_under_the_minimum_interval_is_refused(clinic: SchedulingWorld) -> None:
    ids = booked(clinic)
    with pytest.raises(SchedulingError, match="at least 4 weeks after session 1"):
        scheduling.move_session(
            clinic.uow, clinic.desk, ids[1], "2027-01-04T10:00", clock=clinic.clock
        )
    with pytest.raises(SchedulingError, match="nothing is free"):
        scheduling.move_session(
            clinic.uow, clinic.desk, ids[1], "2027-01-09T17:00", clock=clinic.clock
        )
    with pytest.raises(SchedulingError, match="in the past"):
        scheduling.move_session(
            clinic.uow, clinic.desk, ids[0], "2026-11-30T10:00", clock=clinic.clock
        )


def test_a_session_that_can_no_longer_be_kept_in_its_window_is_flagged_with_the_reason(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    clinic.configure(
        closures=[
            {"from": "2026-12-24", "to": "2027-01-01", "reason": "Christmas and New Year"},
            {"from": "2027-02-08", "to": "2027-03-07", "reason": "renovation"},
        ]
    )
    result = scheduling.move_session(
        clinic.uow, clinic.desk, ids[1], "2027-01-12T10:00", clock=clinic.clock
    )
    third = by_session(result)[3]
    assert third["status"] == "outside_window"
    (reason,) = third["reasons"]
    assert "cannot be kept in its window" in reason and "renovation" in reason
    assert start_day(third) == day("2027-03-08")
    assert result["flagged"] == [3]
    with clinic.uow:
        booking = clinic.uow.session.get(AppointmentBooking, ids[2])
        assert booking is not None and "renovation" in (booking.flag or "")
    listed = scheduling.list_series(
        clinic.uow, clinic.desk, by_patient(clinic, ids[0]), clock=clinic.clock
    )
    assert "renovation" in listed[0]["sessions"][2]["flag"]


def by_patient(clinic: SchedulingWorld, appointment_id: int) -> int:
    with clinic.uow:
        row = clinic.uow.session.get(Appointment, appointment_id)
        assert row is not None
        return row.patient_id


def test_cancelling_a_session_leaves_its_slot_free_and_books_nothing_again(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    clock = fixed_clock(clinic.world.clock() + timedelta(days=30))  # 31 December
    result = scheduling.cancel_session(
        clinic.uow, clinic.desk, ids[1], reason="Patient is ill", clock=clock
    )
    sessions = by_session(result)
    assert result["cancelled"] == ids[1] and result["created"] == [] and result["moved"] == []
    assert sessions[2]["status"] == "unplaced" and "appointment_id" not in sessions[2]
    assert "Patient is ill" in sessions[2]["reasons"][0]
    assert sessions[1]["appointment_id"] == ids[0] and sessions[3]["appointment_id"] == ids[2]
    with clinic.uow:
        old = clinic.uow.session.get(Appointment, ids[1])
        assert old is not None and old.status == "cancelled"
        assert old.cancellation_reason == "Patient is ill"
    assert reservations(clinic, ids[1])[0] == 0
    listed = scheduling.list_series(
        clinic.uow, clinic.desk, by_patient(clinic, ids[0]), clock=clock
    )
    assert [s["session"] for s in listed[0]["sessions"]] == [1, 3]


def test_a_missed_session_cannot_be_cancelled(clinic: SchedulingWorld) -> None:
    ids = booked(clinic)
    appointments.set_appointment_status(
        clinic.uow,
        clinic.desk,
        ids[0],
        "no_show",
        clock=fixed_clock(clinic.world.clock() + timedelta(days=7)),
    )
    later = fixed_clock(clinic.world.clock() + timedelta(days=8))
    with pytest.raises(RuleViolation, match="no_show session cannot be cancelled"):
        scheduling.cancel_session(clinic.uow, clinic.desk, ids[0], reason="x", clock=later)


def test_sessions_not_booked_as_a_series_or_already_cancelled_cannot_be_moved(
    clinic: SchedulingWorld,
) -> None:
    ids = booked(clinic)
    scheduling.cancel_session(clinic.uow, clinic.desk, ids[2], reason="ill", clock=clinic.clock)
    with pytest.raises(RuleViolation, match="cancelled session cannot be moved"):
        scheduling.move_session(
            clinic.uow, clinic.desk, ids[2], "2027-02-03T10:00", clock=clinic.clock
        )
    patient = clinic.world.patient()
    plain = clinic.world.appointment(patient)
    with pytest.raises(RuleViolation, match="not booked as part of a series"):
        scheduling.move_session(
            clinic.uow, clinic.desk, plain, "2027-02-03T10:00", clock=clinic.clock
        )


def test_a_slot_freed_by_a_cancellation_elsewhere_can_be_booked_again(
    clinic: SchedulingWorld,
) -> None:
    first = booked(clinic)
    # Cancelled through the plain appointment command: its reservations stay until needed.
    appointments.set_appointment_status(
        clinic.uow, clinic.desk, first[0], "cancelled", clock=clinic.clock
    )
    second = booked(clinic, ["2026-12-08T10:00", "2027-01-06T10:00", "2027-02-03T10:00"])
    assert reservations(clinic, second[0]) == (39, "2026-12-08T09:00:00+00:00")
    assert reservations(clinic, first[0])[0] == 0


def test_a_series_whose_practitioner_left_the_calendar_can_still_be_moved(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan()
    picks = [{"session": n, "start": s, "practitioner": clinic.ben}
             for n, s in enumerate(TUESDAYS, start=1)]  # fmt: skip
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    ids = [s["appointment_id"] for s in booked["series"][0]["sessions"]]
    clinic.configure(practitioners=[{"id": clinic.anna, "hours": {"monday-friday": "08:00-16:00"}}])
    result = scheduling.move_session(
        clinic.uow, clinic.desk, ids[1], "2027-01-06T10:00", clock=clinic.clock
    )
    sessions = by_session(result)
    assert sessions[1]["status"] == "kept"
    assert sessions[2]["practitioner"] == clinic.anna
    # Session 3 stays in its window but its practitioner is gone: it is re-proposed.
    assert sessions[3]["status"] == "moved" and sessions[3]["practitioner"] == clinic.anna
