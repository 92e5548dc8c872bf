"""The clinic's calendar version (kept by triggers) and the in-memory calendar index built on it:
after any change to the appointments, by any path, the index gives exactly the occupancy a fresh
load from the database gives (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from tests.integration.scheduling_support import SchedulingWorld, local, make_scheduling_world

from microneedling.errors import Conflict, SchedulingError
from microneedling.scheduling.slots import Occupancy
from microneedling.services import appointments, scheduling
from microneedling.services.access import Transaction
from microneedling.services.calendar_index import CALENDAR_INDEX, HORIZON_DAYS
from microneedling.services.scheduling import _Context
from microneedling.store import Database
from microneedling.store.models import Appointment, Clinic
from microneedling.store.scheduling_models import AppointmentBooking, ResourceSlot


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def state(clinic: SchedulingWorld) -> tuple[int, int]:
    with clinic.uow:
        row = clinic.uow.session.execute(
            select(Clinic.calendar_version, Clinic.calendar_resets).where(
                Clinic.id == clinic.owner.clinic_id
            )
        ).one()
    return int(row[0]), int(row[1])


def stamp(clinic: SchedulingWorld, appointment_id: int) -> int:
    with clinic.uow:
        return int(
            clinic.uow.session.execute(
                select(Appointment.calendar_version).where(Appointment.id == appointment_id)
            ).scalar_one()
        )


def execute(clinic: SchedulingWorld, statement: Any) -> None:
    with clinic.uow:
        clinic.uow.session.execute(statement)
        clinic.uow.commit()


def test_every_change_to_an_appointment_or_its_booking_moves_the_clinic_version_on(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = clinic.patient_with_plan()
    before, resets = state(clinic)
    appointment_id = appointments.book_appointment(
        clinic.uow, clinic.desk, patient_id, starts_at=local("2026-12-15T10:00"),
        clock=clinic.clock,
    )  # fmt: skip
    version, _ = state(clinic)
    assert version > before and stamp(clinic, appointment_id) == version

    execute(clinic, update(Appointment).where(Appointment.id == appointment_id)
            .values(status="cancelled"))  # fmt: skip
    assert state(clinic)[0] > version and stamp(clinic, appointment_id) == state(clinic)[0]

    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    first = booked["series"][0]["sessions"][0]["appointment_id"]
    version = state(clinic)[0]
    execute(clinic, update(AppointmentBooking)
            .where(AppointmentBooking.appointment_id == first).values(flag="checked"))  # fmt: skip
    assert state(clinic)[0] > version and stamp(clinic, first) == state(clinic)[0]

    version = state(clinic)[0]
    execute(clinic, delete(AppointmentBooking).where(AppointmentBooking.appointment_id == first))
    assert stamp(clinic, first) == state(clinic)[0] > version

    assert state(clinic)[1] == resets
    # The one-off's booking and reservations go first (they refer to the appointment).
    execute(clinic, delete(ResourceSlot).where(ResourceSlot.appointment_id == appointment_id))
    execute(clinic, delete(AppointmentBooking)
            .where(AppointmentBooking.appointment_id == appointment_id))  # fmt: skip
    assert state(clinic)[1] == resets
    execute(clinic, delete(Appointment).where(Appointment.id == appointment_id))
    assert state(clinic)[1] == resets + 1


def timelines(occupancy: Occupancy) -> list[list[tuple[int, int]]]:
    return [
        sorted(zip(line.starts, line.ends, strict=True))
        for kind in occupancy._booked
        for line in kind
    ]


def loaded_both_ways(clinic: SchedulingWorld) -> tuple[Occupancy, Occupancy, set[int], set[int]]:
    """The occupancy as the index gives it, and as a fresh load gives it, over the index's
    horizon; and the appointment ids each holds."""
    with Transaction(clinic.uow, clinic.desk, "series.propose", clinic.clock) as tx:
        until = tx.today + timedelta(days=HORIZON_DAYS)
        cached = _Context.load(tx, until, cached=True)
        fresh = _Context.load(tx, until)
        return (
            cached.occupancy,
            fresh.occupancy,
            {row[0] for row in cached.rows},
            {row[0] for row in fresh.rows},
        )


def assert_index_is_current(clinic: SchedulingWorld) -> str:
    cached, fresh, cached_ids, fresh_ids = loaded_both_ways(clinic)
    last = CALENDAR_INDEX.last
    assert cached_ids == fresh_ids
    assert timelines(cached) == timelines(fresh)
    # The free time of each day, including days whose masks earlier proposals cached and the
    # index's copies share.
    today = clinic.clock().date()
    for offset in range(0, 200, 2):
        day = today + timedelta(days=offset)
        assert cached.free_minutes(day) == fresh.free_minutes(day), day
    return last


def test_the_index_follows_bookings_moves_cancellations_and_other_paths(
    clinic: SchedulingWorld,
) -> None:
    CALENDAR_INDEX.clear()
    assert assert_index_is_current(clinic) == "built"
    assert assert_index_is_current(clinic) == "unchanged"
    rng = random.Random(7)
    booked: list[dict[str, Any]] = []
    for step in range(8):
        action = ("book", "book", "move", "cancel", "plain", "status")[step % 6]
        if action == "book" or not booked:
            _, plan_id = clinic.patient_with_plan()
            booked.append(
                scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
            )
        elif action == "move":
            session = rng.choice(booked)["series"][0]["sessions"][-1]
            later = local(session["start"][:16]) + timedelta(days=1)
            # A closed day or a taken slot: nothing changes, and the index is still compared.
            with contextlib.suppress(SchedulingError, Conflict):
                scheduling.move_session(
                    clinic.uow, clinic.desk, session["appointment_id"], later, clock=clinic.clock
                )
        elif action == "cancel":
            session = booked[0]["series"][0]["sessions"][1]
            scheduling.cancel_session(
                clinic.uow, clinic.desk, session["appointment_id"], reason="ill", clock=clinic.clock
            )
        elif action == "plain":
            patient_id, _ = clinic.patient_with_plan()
            appointments.book_appointment(
                clinic.uow, clinic.desk, patient_id, starts_at=local("2027-01-12T11:00"),
                clock=clinic.clock,
            )  # fmt: skip
        else:
            first = booked[-1]["series"][0]["sessions"][0]["appointment_id"]
            execute(clinic, update(Appointment).where(Appointment.id == first)
                    .values(status="no_show"))  # fmt: skip
        assert assert_index_is_current(clinic) == "updated", action
    # Deleting an appointment (never done by the application) makes the index start afresh.
    last = booked[-1]["series"][0]["sessions"][-1]["appointment_id"]
    execute(clinic, delete(ResourceSlot).where(ResourceSlot.appointment_id == last))
    execute(clinic, delete(AppointmentBooking).where(AppointmentBooking.appointment_id == last))
    execute(clinic, delete(Appointment).where(Appointment.id == last))
    assert assert_index_is_current(clinic) == "built"


def test_a_new_calendar_or_a_new_day_starts_the_index_afresh(clinic: SchedulingWorld) -> None:
    CALENDAR_INDEX.clear()
    assert_index_is_current(clinic)
    clinic.configure(slot_minutes=30)
    assert assert_index_is_current(clinic) == "built"
    assert assert_index_is_current(clinic) == "unchanged"
    tomorrow = clinic.clock() + timedelta(days=1)
    world = clinic.world
    world.clock = lambda: tomorrow
    assert assert_index_is_current(clinic) == "built"


def test_a_booking_made_elsewhere_is_never_proposed_again(clinic: SchedulingWorld) -> None:
    """Two front desks: the second proposes after the first booked; the index held before the
    first booking must not offer the first one's times."""
    CALENDAR_INDEX.clear()
    _, first_plan = clinic.patient_with_plan(
        treatments=[{"zone": "cheeks", "concern": "fine_lines"}]
    )
    _, second_plan = clinic.patient_with_plan(
        treatments=[{"zone": "cheeks", "concern": "fine_lines"}]
    )
    preferences = {"weekdays": ["tuesday"], "times": ["08:00-10:00"], "practitioner": clinic.anna}
    before = scheduling.propose_plan(
        clinic.uow, clinic.desk, second_plan, preferences=preferences, clock=clinic.clock
    )
    taken = scheduling.book_plan(
        clinic.uow, clinic.desk, first_plan, preferences=preferences, clock=clinic.clock
    )
    after = scheduling.propose_plan(
        clinic.uow, clinic.desk, second_plan, preferences=preferences, clock=clinic.clock
    )
    assert CALENDAR_INDEX.last == "updated"
    taken_starts = {s["start"] for s in taken["series"][0]["sessions"]}
    offered_before = {s["start"] for s in before["series"][0]["sessions"]}
    offered_after = {s["start"] for s in after["series"][0]["sessions"]}
    assert taken_starts == offered_before  # the same wishes got the same times
    assert not taken_starts & offered_after
    assert date.fromisoformat(min(offered_after)[:10]) >= clinic.clock().date()
