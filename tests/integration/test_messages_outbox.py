"""Messages are queued in the outbox in the same transaction as the booking, move or cancellation
that causes them, and follow the appointment: booked → confirmation, reminders, pre-care and
aftercare; moved → the queued ones withdrawn and queued again for the new time; cancelled →
withdrawn and a cancellation notice. Every ``now`` is the test's fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.scheduling_support import (
    ACNE,
    SchedulingWorld,
    local,
    make_scheduling_world,
)

from microneedling.errors import Conflict
from microneedling.services import appointments, intakes, patients, plans, scheduling
from microneedling.services.messages.outbox import DEFAULT_QUIET_HOURS
from microneedling.services.messages.timing import out_of_quiet
from microneedling.store import Database
from microneedling.store.message_models import MessagePreference, OutboxMessage

SCHEDULED = {
    "precare_7d", "precare_1d", "reminder_48h", "reminder_2h",
    "aftercare_0d", "aftercare_1d", "aftercare_3d", "aftercare_7d",
}  # fmt: skip


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def patient_with_plan(
    clinic: SchedulingWorld, *, email: str | None = "ngoc@example.org", phone: str | None = None
) -> tuple[int, int]:
    details: dict[str, Any] = {
        "given_name": "Nguyễn", "family_name": "王芳", "birth_date": "1990-05-17",
        "sex": "female", "fitzpatrick": 3,
    }  # fmt: skip
    if email:
        details["email"] = email
    if phone:
        details["phone"] = phone
    patient_id = patients.register_patient(clinic.uow, clinic.desk, details, clock=clinic.clock)
    intakes.record_intake(
        clinic.uow, clinic.desk, patient_id, {"zones": ["cheeks"]}, clock=clinic.clock
    )
    plan_id = plans.create_plan(
        clinic.uow, clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    return patient_id, plan_id


def messages(clinic: SchedulingWorld, patient_id: int) -> list[OutboxMessage]:
    with clinic.uow:
        rows = list(
            clinic.uow.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.patient_id == patient_id)
                .order_by(OutboxMessage.id)
            ).scalars()
        )
        clinic.uow.session.expunge_all()
    return rows


def book(clinic: SchedulingWorld, plan_id: int) -> list[dict[str, Any]]:
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    sessions: list[dict[str, Any]] = booked["series"][0]["sessions"]
    return sessions


def test_booking_a_series_queues_one_confirmation_and_each_sessions_messages(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = patient_with_plan(clinic, phone="+49 30 1234567")
    sessions = book(clinic, plan_id)
    rows = messages(clinic, patient_id)
    assert {row.status for row in rows} == {"queued"}
    confirmations = [row for row in rows if row.kind == "confirmation"]
    assert sorted(row.channel for row in confirmations) == ["email", "sms"]
    assert {row.appointment_id for row in confirmations} == {sessions[0]["appointment_id"]}
    for number, session in enumerate(sessions):
        mine = [r for r in rows if r.appointment_id == session["appointment_id"]]
        start = datetime.fromisoformat(session["start"]).astimezone(UTC)
        # Day -7 at 10:00 of a session a week away has passed already: not queued.
        expected = SCHEDULED - (
            {"precare_7d"} if start - clinic.clock() < timedelta(days=7) else set()
        )
        assert {r.kind for r in mine} - {"confirmation"} == expected, number
        by_kind = {(r.kind, r.channel): r for r in mine}
        assert by_kind["reminder_48h", "email"].send_after == start - timedelta(hours=48)
        # Two hours before, unless that is in the quiet hours (21:00-08:00 Berlin): then the
        # evening before, at 20:59.
        assert by_kind["reminder_2h", "sms"].send_after == out_of_quiet(
            start - timedelta(hours=2), "reminder_2h", DEFAULT_QUIET_HOURS, "Europe/Berlin"
        )
        assert by_kind["reminder_2h", "sms"].recipient == "+49 30 1234567"
        assert all(r.appointment_starts_at == start for r in mine)
        assert all(r.next_attempt_at == r.send_after for r in mine)
        # Pre-care goes at ten in the morning, Berlin time.
        precare = by_kind["precare_1d", "email"].send_after.astimezone(local("2026-01-01").tzinfo)
        assert precare.strftime("%H:%M") == "10:00"
    # Nothing is rendered until it is sent.
    assert all(row.body_text is None and row.subject is None for row in rows)


def test_a_patient_without_an_address_gets_nothing_queued(clinic: SchedulingWorld) -> None:
    patient_id, plan_id = patient_with_plan(clinic, email=None)
    book(clinic, plan_id)
    assert messages(clinic, patient_id) == []


def test_a_booking_that_fails_queues_nothing(clinic: SchedulingWorld) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    book(clinic, plan_id)
    before = len(messages(clinic, patient_id))
    with pytest.raises(Conflict):
        book(clinic, plan_id)
    assert len(messages(clinic, patient_id)) == before


def test_moving_a_session_withdraws_its_queued_messages_and_queues_them_for_the_new_time(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    sessions = book(clinic, plan_id)
    last = sessions[-1]
    target = local(last["start"][:10] + "T14:00") + timedelta(days=1)
    scheduling.move_session(
        clinic.uow, clinic.desk, last["appointment_id"], target, clock=clinic.clock
    )
    rows = [r for r in messages(clinic, patient_id) if r.appointment_id == last["appointment_id"]]
    withdrawn = [r for r in rows if r.status == "withdrawn"]
    queued = [r for r in rows if r.status == "queued"]
    assert {r.kind for r in withdrawn} == SCHEDULED
    assert all(r.last_error == "the appointment moved" for r in withdrawn)
    assert {r.kind for r in queued} == SCHEDULED | {"moved"}
    assert all(r.appointment_starts_at == target.astimezone(UTC) for r in queued)
    reminder = next(r for r in queued if r.kind == "reminder_2h")
    assert reminder.send_after == target.astimezone(UTC) - timedelta(hours=2)
    # The other sessions' messages are untouched.
    others = [r for r in messages(clinic, patient_id) if r.appointment_id != last["appointment_id"]]
    assert {r.status for r in others} == {"queued"}


def test_cancelling_a_session_withdraws_its_messages_and_queues_a_cancellation_notice(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    sessions = book(clinic, plan_id)
    first = sessions[0]["appointment_id"]
    before = {r.kind for r in messages(clinic, patient_id) if r.appointment_id == first}
    scheduling.cancel_session(
        clinic.uow, clinic.desk, first, reason="patient is travelling", clock=clinic.clock
    )
    rows = [r for r in messages(clinic, patient_id) if r.appointment_id == first]
    assert {r.kind for r in rows if r.status == "queued"} == {"cancelled"}
    assert {r.kind for r in rows if r.status == "withdrawn"} == before
    notice = next(r for r in rows if r.kind == "cancelled")
    assert notice.send_after == clinic.clock()


def test_cancelling_from_the_days_list_also_withdraws_and_tells_the_patient(
    clinic: SchedulingWorld,
) -> None:
    """The Today page and the API cancel through the appointment's status, not the series: the
    queued messages follow all the same, in the same transaction."""
    patient_id, plan_id = patient_with_plan(clinic)
    sessions = book(clinic, plan_id)
    first = sessions[0]["appointment_id"]
    before = {r.kind for r in messages(clinic, patient_id) if r.appointment_id == first}
    appointments.set_appointment_status(
        clinic.uow, clinic.desk, first, "cancelled", reason="unwell", clock=clinic.clock
    )
    rows = [r for r in messages(clinic, patient_id) if r.appointment_id == first]
    assert {r.kind for r in rows if r.status == "queued"} == {"cancelled"}
    assert {r.kind for r in rows if r.status == "withdrawn"} == before


def test_stopping_a_series_withdraws_every_future_sessions_messages(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    series = booked["series"][0]["series_id"]
    scheduling.stop_series(clinic.uow, clinic.desk, series, reason="moved away", clock=clinic.clock)
    rows = messages(clinic, patient_id)
    assert {r.kind for r in rows if r.status == "queued"} == {"cancelled"}
    assert len([r for r in rows if r.kind == "cancelled"]) == 3


def test_a_patient_who_stopped_reminders_still_gets_aftercare(clinic: SchedulingWorld) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    with clinic.uow:
        clinic.uow.session.add(
            MessagePreference(
                clinic_id=clinic.desk.clinic_id, patient_id=patient_id, email=True, sms=True,
                reminders=False, aftercare=True, recalls=True, marketing=False,
                recorded_at=clinic.clock(), source="staff", recorded_by=clinic.desk.staff_user_id,
            )
        )  # fmt: skip
        clinic.uow.commit()
    book(clinic, plan_id)
    rows = messages(clinic, patient_id)
    assert rows and {r.category for r in rows} == {"aftercare"}


def test_staff_list_a_patients_messages_and_the_failed_ones(clinic: SchedulingWorld) -> None:
    from microneedling.errors import NotFound, UserError
    from microneedling.services.messages.listing import list_messages

    patient_id, plan_id = patient_with_plan(clinic)
    book(clinic, plan_id)
    listed = list_messages(clinic.uow, clinic.desk, patient_id=patient_id, clock=clinic.clock)
    assert listed and {item["patient_id"] for item in listed} == {patient_id}
    assert {item["status"] for item in listed} == {"queued"}
    assert "body_text" not in listed[0] and "subject" not in listed[0]
    failed = list_messages(clinic.uow, clinic.desk, status="failed", clock=clinic.clock)
    assert all(item["status"] == "failed" for item in failed)
    for bad in ({"status": "lost"}, {"limit": 0}, {"limit": 10_000}, {"offset": -1}):
        with pytest.raises(UserError):
            list_messages(clinic.uow, clinic.desk, clock=clinic.clock, **bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        list_messages(clinic.uow, clinic.desk, patient_id=10**9, clock=clinic.clock)
