"""A plan becomes a booked series: proposed against the clinic calendar, booked in one
transaction, with windows, closures, the first allowed date and the pre-care lead respected."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.integration.scheduling_support import (
    SchedulingWorld,
    calendar_settings_for,
    day,
    local,
    make_scheduling_world,
)

from microneedling.errors import Conflict, PermissionDenied, RuleViolation, SchedulingError
from microneedling.services import calendar_settings, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.store import Database
from microneedling.store.models import Appointment, AuditEntry
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries, ResourceSlot


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def days_of(sessions: list[dict[str, Any]]) -> list[date]:
    return [date.fromisoformat(item["start"][:10]) for item in sessions]


def count(clinic: SchedulingWorld, model: Any, **where: Any) -> int:
    with clinic.uow:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(clinic.uow.session.execute(query).scalar_one())


def test_a_plan_is_proposed_inside_its_windows_from_the_pre_care_lead(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan()
    result = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    (series,) = result["series"]
    assert series["complete"] and series["sessions_planned"] == 3
    days = days_of(series["sessions"])
    # Today is Tuesday 1 December 2026: the day −7 pre-care puts the first session on the 8th.
    assert days[0] == day("2026-12-08")
    for before, after in pairwise(days):
        assert 28 <= (after - before).days <= 42
    # Christmas to New Year is closed.
    assert not any(day("2026-12-24") <= d <= day("2027-01-01") for d in days)
    first = series["sessions"][0]
    assert first["practitioner"] == clinic.anna and first["room"] == "room-1"
    assert first["device"] == clinic.pen
    assert first["start"].endswith("+01:00")
    # Anaesthetic 30 + cheeks 25 minutes; turnover 10 more for the resources.
    assert series["minutes"] == {"patient": 55, "blocked": 65}


def test_accepting_the_proposal_books_every_session_in_one_transaction(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = clinic.patient_with_plan()
    proposal = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    entries_before = count(clinic, AuditEntry)
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    (series,) = booked["series"]
    assert [s["start"] for s in series["sessions"]] == [
        s["start"] for s in proposal["series"][0]["sessions"]
    ]
    assert count(clinic, AuditEntry) == entries_before + 1
    ids = [s["appointment_id"] for s in series["sessions"]]
    with clinic.uow:
        rows = [clinic.uow.session.get(Appointment, i) for i in ids]
        assert all(r is not None and r.status == "scheduled" for r in rows)
        assert all(r is not None and r.patient_id == patient_id for r in rows)
        assert all(r is not None and r.duration_minutes == 55 for r in rows)
        slots = clinic.uow.session.execute(
            select(func.count()).where(ResourceSlot.appointment_id.in_(ids))
        ).scalar_one()
    # 65 minutes in 5-minute steps for practitioner, room and device, per session.
    assert slots == 3 * 13 * 3


def test_a_series_is_booked_once(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    with pytest.raises(Conflict, match="already booked"):
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    again = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    assert again["series"] == [] and len(again["already_booked"]) == 1


def test_the_next_patient_gets_other_times(clinic: SchedulingWorld) -> None:
    _, first = clinic.patient_with_plan()
    _, second = clinic.patient_with_plan()
    one = scheduling.book_plan(clinic.uow, clinic.desk, first, clock=clinic.clock)
    two = scheduling.book_plan(clinic.uow, clinic.desk, second, clock=clinic.clock)
    a, b = one["series"][0]["sessions"][0], two["series"][0]["sessions"][0]
    assert a["start"][:10] == b["start"][:10] == "2026-12-08"
    # Anna is booked until 09:05 (with turnover): Ben starts at 10:00, or Anna at 09:15.
    assert (b["practitioner"], b["start"][11:16]) == (clinic.anna, "09:15")


def test_the_first_session_waits_for_the_screening_and_the_plan_start(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan(start="2026-12-20")
    result = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    (series,) = result["series"]
    assert series["first_allowed_date"] == "2026-12-20"
    # The 20th is a Sunday and the clinic closes from the 24th: Monday the 21st.
    assert days_of(series["sessions"])[0] == day("2026-12-21")
    picks = [
        {"session": 1, "start": "2026-12-18T10:00"},
        {"session": 2, "start": "2027-01-15T10:00"},
        {"session": 3, "start": "2027-02-12T10:00"},
    ]
    with pytest.raises(SchedulingError, match="cannot be before 2026-12-20"):
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)


def test_a_deferred_screening_moves_the_first_session(clinic: SchedulingWorld) -> None:
    # A chemical peel on the cheeks yesterday: deferred until 14 days after it.
    _, plan_id = clinic.patient_with_plan(
        procedures=[{"code": "chemical_peel", "on": "2026-11-30", "zones": ["cheeks"]}]
    )
    result = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    (series,) = result["series"]
    first_allowed = day(series["first_allowed_date"])
    assert first_allowed == day("2026-12-14")
    assert days_of(series["sessions"])[0] >= first_allowed


def test_preferences_are_followed_where_the_calendar_allows(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    result = scheduling.propose_plan(
        clinic.uow,
        clinic.desk,
        plan_id,
        preferences={
            "weekdays": ["saturday"],
            "times": ["09:00-13:00"],
            "practitioner": clinic.ben,
        },
        clock=clinic.clock,
    )
    sessions = result["series"][0]["sessions"]
    assert all(date.fromisoformat(s["start"][:10]).weekday() == 5 for s in sessions)
    assert {s["practitioner"] for s in sessions} == {clinic.ben}
    with pytest.raises(SchedulingError, match="not a practitioner"):
        scheduling.propose_plan(
            clinic.uow,
            clinic.desk,
            plan_id,
            preferences={"practitioner": "nobody@example.org"},
            clock=clinic.clock,
        )


def test_staff_picked_slots_at_the_window_edges_are_booked(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    # 4–6 weeks apart: 28 days after, then 42 days after: both edges of the window.
    picks = [
        {"session": 1, "start": "2026-12-08T10:00"},
        {"session": 2, "start": "2027-01-05T10:00", "practitioner": clinic.ben, "room": "room-2"},
        {"session": 3, "start": "2027-02-16T10:00"},
    ]
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    sessions = booked["series"][0]["sessions"]
    assert [s["status"] for s in sessions] == ["proposed"] * 3
    assert all(not s["reasons"] for s in sessions)
    assert (sessions[1]["practitioner"], sessions[1]["room"]) == (clinic.ben, "room-2")


def test_a_picked_slot_one_day_under_the_minimum_is_refused_and_one_over_the_maximum_flagged(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan()
    under = [
        {"session": 1, "start": "2026-12-08T10:00"},
        {"session": 2, "start": "2027-01-04T10:00"},  # 27 days
        {"session": 3, "start": "2027-02-01T10:00"},
    ]
    with pytest.raises(SchedulingError, match="at least 4 weeks after session 1"):
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=under, clock=clinic.clock)
    over = [
        {"session": 1, "start": "2026-12-08T10:00"},
        {"session": 2, "start": "2027-01-20T10:00"},  # 43 days
        {"session": 3, "start": "2027-02-17T10:00"},
    ]
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=over, clock=clinic.clock)
    second = booked["series"][0]["sessions"][1]
    assert second["status"] == "outside_window"
    assert "outside its window of 4–6 weeks" in second["reasons"][0]
    with clinic.uow:
        flag = clinic.uow.session.get(AppointmentBooking, second["appointment_id"])
        assert flag is not None and "outside its window" in (flag.flag or "")


def test_picked_slots_respect_the_calendar(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()

    def book(first: str, **extra: Any) -> None:
        picks = [{"session": 1, "start": first, **extra}] + [
            {"session": n, "start": (local(first) + timedelta(weeks=4 * (n - 1))).isoformat()}
            for n in (2, 3)
        ]
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)

    with pytest.raises(SchedulingError, match="clinic is closed"):
        book("2026-12-28T10:00")
    with pytest.raises(SchedulingError, match="not open on sundays"):
        book("2026-12-13T10:00")
    with pytest.raises(SchedulingError, match="outside working hours or opening hours for"):
        book("2026-12-08T17:30", practitioner=clinic.anna)
    with pytest.raises(SchedulingError, match="5-minute steps"):
        book("2026-12-08T10:02")
    with pytest.raises(SchedulingError, match="in the past"):
        book("2026-11-30T10:00")
    # Less than 7 days of pre-care: booked, and flagged.
    booked = scheduling.book_plan(
        clinic.uow,
        clinic.desk,
        plan_id,
        slots=[{"session": n, "start": f"{d}T10:00"} for n, d in
               enumerate(["2026-12-04", "2027-01-04", "2027-02-01"], start=1)],
        clock=clinic.clock,
    )  # fmt: skip
    assert "pre-care" in booked["series"][0]["sessions"][0]["reasons"][0]


def test_a_staff_pick_from_an_edited_proposal_is_accepted(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    proposal = scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    last = proposal["series"][0]["sessions"][-1]
    moved = (date.fromisoformat(last["start"][:10]) + timedelta(days=1)).isoformat() + "T11:00"
    last["start"] = moved
    booked = scheduling.book_plan(
        clinic.uow, clinic.desk, plan_id, slots=proposal, clock=clinic.clock
    )
    assert booked["series"][0]["sessions"][-1]["start"].startswith(moved)


def test_front_desk_may_book_but_not_configure_the_calendar(clinic: SchedulingWorld) -> None:
    with pytest.raises(PermissionDenied, match="that is for owners"):
        calendar_settings.configure_calendar(
            clinic.uow, clinic.desk, calendar_settings_for(clinic.pen), clock=clinic.clock
        )
    with pytest.raises(PermissionDenied):
        calendar_settings.add_room(clinic.uow, clinic.clinician, "room-9", clock=clinic.clock)
    _, plan_id = clinic.patient_with_plan()
    assert scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)["series"]


def test_a_clinic_without_a_calendar_is_told_to_configure_it(
    database: Database, tmp_path: Path
) -> None:
    clinic = make_scheduling_world(database, tmp_path / "photos", configure=False)
    _, plan_id = clinic.patient_with_plan()
    with pytest.raises(RuleViolation, match="calendar configure"):
        scheduling.propose_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)


def test_the_calendar_settings_round_trip_and_are_checked(clinic: SchedulingWorld) -> None:
    shown = calendar_settings.read_calendar(clinic.uow, clinic.desk, clock=clinic.clock)
    assert shown["time_zone"] == "Europe/Berlin"
    assert [p["id"] for p in shown["practitioners"]] == [clinic.anna, clinic.ben]
    again = calendar_settings.configure_calendar(
        clinic.uow, clinic.owner, shown, clock=clinic.clock
    )
    assert again == shown
    with pytest.raises(SchedulingError) as error:
        clinic.configure(opening_hours={"monday": "18:00-08:00"})
    assert error.value.field == "opening_hours.monday"
    with pytest.raises(SchedulingError, match="front desk"):
        clinic.configure(
            practitioners=[
                {"id": f"desk@{clinic.slug}.example", "hours": {"monday": "09:00-17:00"}}
            ]
        )
    with pytest.raises(SchedulingError, match="register it first"):
        clinic.configure(devices=[{"id": "NO-SUCH-PEN"}])
    with pytest.raises(SchedulingError, match="clinic's"):
        clinic.configure(time_zone="Europe/London")


def test_a_booking_never_writes_half_a_series(clinic: SchedulingWorld) -> None:
    _, plan_id = clinic.patient_with_plan()
    picks = [
        {"session": 1, "start": "2026-12-08T10:00"},
        {"session": 2, "start": "2027-01-05T10:00"},
        {"session": 3, "start": "2027-02-02T19:00"},  # after closing
    ]
    before = count(clinic, BookedSeries)
    with pytest.raises(SchedulingError, match="session 3"):
        scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=picks, clock=clinic.clock)
    assert count(clinic, BookedSeries) == before


def test_a_proposal_leaves_out_the_patients_other_visits(clinic: SchedulingWorld) -> None:
    clock = fixed_clock(local("2026-12-01T11:00"))
    patient_id, first = clinic.patient_with_plan(clock=clock)
    scheduling.book_plan(clinic.uow, clinic.desk, first, clock=clock)
    from microneedling.services import plans

    second = plans.create_plan(
        clinic.uow,
        clinic.clinician,
        patient_id,
        # Policy 2: a plan treats only the zones its screening covered (here the cheeks).
        {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]},
        clock=clock,
    )
    proposal = scheduling.propose_plan(clinic.uow, clinic.desk, second, clock=clock)
    first_sessions = scheduling.list_series(clinic.uow, clinic.desk, patient_id, clock=clock)
    taken = {s["start"][:16] for s in first_sessions[0]["sessions"]}
    offered = {s["start"][:16] for s in proposal["series"][0]["sessions"]}
    assert not taken & offered
