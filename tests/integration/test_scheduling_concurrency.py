"""No double booking, enforced by the database: 50 people booking the same slot at once, each on
a connection of their own; exactly one wins, the 49 others get Conflict, nothing partial stays."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from tests.integration.scheduling_support import SchedulingWorld, make_scheduling_world

from microneedling.errors import Conflict
from microneedling.services import scheduling
from microneedling.services.audit import verify_audit_log
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.models import Appointment, AuditEntry
from microneedling.store.scheduling_models import BookedSeries, ResourceSlot

ATTEMPTS = 50


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def clinic(fresh_database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(fresh_database, tmp_path / "photos")


def test_fifty_people_booking_the_same_slot_at_once_one_wins(
    clinic: SchedulingWorld, tmp_path: Path
) -> None:
    plans = [clinic.patient_with_plan()[1] for _ in range(ATTEMPTS)]
    picks = [
        {"session": 1, "start": "2026-12-08T10:00", "practitioner": clinic.anna,
         "room": "room-1", "device": clinic.pen},
        {"session": 2, "start": "2027-01-05T10:00", "practitioner": clinic.anna,
         "room": "room-1", "device": clinic.pen},
        {"session": 3, "start": "2027-02-02T10:00", "practitioner": clinic.anna,
         "room": "room-1", "device": clinic.pen},
    ]  # fmt: skip
    url = clinic.world.database.url.render_as_string(hide_password=False)
    databases = [Database(url) for _ in range(ATTEMPTS)]  # a connection each

    def attempt(index: int) -> Callable[[], Any]:
        uow = UnitOfWork(databases[index], PhotoFiles(tmp_path / "photos"))
        return lambda: scheduling.book_plan(
            uow, clinic.desk, plans[index], slots=picks, clock=clinic.clock
        )

    with clinic.uow:
        audit_before = clinic.uow.session.execute(
            select(func.count(AuditEntry.sequence))
        ).scalar_one()
    try:
        results = at_once([attempt(index) for index in range(ATTEMPTS)])
    finally:
        for database in databases:
            database.dispose()
    wins = [r for r in results if isinstance(r, dict)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    others = [r for r in results if not isinstance(r, (dict, Conflict))]
    assert others == []
    assert (len(wins), len(conflicts)) == (1, ATTEMPTS - 1)

    winner = wins[0]["plan_id"]
    with clinic.uow:
        session = clinic.uow.session
        series = (
            session.execute(select(BookedSeries.plan_id).where(BookedSeries.plan_id.in_(plans)))
            .scalars()
            .all()
        )
        assert series == [winner]
        appointments = session.execute(
            select(func.count()).where(Appointment.plan_id.in_(plans))
        ).scalar_one()
        assert appointments == 3
        slots = session.execute(
            select(ResourceSlot.resource_kind, func.count())
            .join(Appointment, Appointment.id == ResourceSlot.appointment_id)
            .where(Appointment.plan_id.in_(plans))
            .group_by(ResourceSlot.resource_kind)
        ).all()
        assert dict(slots) == {"practitioner": 39, "room": 39, "device": 39}
        bookings = session.execute(
            select(func.count()).where(
                AuditEntry.sequence > audit_before, AuditEntry.action == "series.book"
            )
        ).scalar_one()
        assert bookings == 1
    assert verify_audit_log(clinic.world.database).intact


def test_the_database_itself_refuses_a_second_reservation_of_a_step(
    clinic: SchedulingWorld,
) -> None:
    _, plan_id = clinic.patient_with_plan()
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    first = booked["series"][0]["sessions"][0]
    with clinic.uow:
        row = clinic.uow.session.execute(
            select(ResourceSlot)
            .where(
                ResourceSlot.appointment_id == first["appointment_id"],
                ResourceSlot.resource_kind == "practitioner",
            )
            .limit(1)
        ).scalar_one()
        key = (row.clinic_id, row.resource_kind, row.resource_id, row.slot_start)
    # Bypassing every check of the application: the primary key still refuses it.
    with clinic.world.database.engine.connect() as connection:
        with pytest.raises(IntegrityError):
            connection.execute(
                insert(ResourceSlot).values(
                    clinic_id=key[0], resource_kind=key[1], resource_id=key[2],
                    slot_start=key[3], appointment_id=first["appointment_id"],
                )
            )  # fmt: skip
        connection.rollback()
    assert key[3].tzinfo is not None and key[3] == datetime.fromisoformat(
        first["start_utc"].replace("Z", "+00:00")
    ).astimezone(UTC)
