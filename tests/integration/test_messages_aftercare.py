"""Aftercare e-mails say what the plan's care timeline says for that day (clinical/care.py): day 0
lists the first day's instructions and what is normal, later days what still applies and what no
longer does, and every one the signs to call the clinic for — sent through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from tests.integration import test_messages_sending as sending
from tests.integration.scheduling_support import SchedulingWorld

from microneedling.services.messages.care_text import aftercare_context
from microneedling.services.messages.templates import PRIVATE_WORDS
from microneedling.services.messages.worker import run_once
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import Appointment, TreatmentPlan

clinic = sending.clinic
smtp = sending.smtp


def test_each_aftercare_email_carries_that_days_steps_from_the_plan(
    clinic: SchedulingWorld, smtp: tuple[sending._Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, sessions = sending.booked_patient(clinic, email="ngoc@example.org")
    with clinic.uow:
        first = clinic.uow.session.execute(
            select(Appointment)
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.starts_at)
            .limit(1)
        ).scalar_one()
        first.status = "completed"
        plan = clinic.uow.session.get(TreatmentPlan, first.plan_id)
        assert plan is not None
        stored = plan.plan
        starts_at = first.starts_at
        # Only the first session's aftercare is sent in this test.
        clinic.uow.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.patient_id == patient_id,
                (OutboxMessage.appointment_id != first.id)
                | ~OutboxMessage.kind.startswith("aftercare"),
            )
            .values(status="withdrawn")
        )
        clinic.uow.commit()
    for day in (0, 1, 3, 7):
        run_once(clinic.world.database, {"email": sending.smtp_transport(port)},
                 now=starts_at + timedelta(days=day, hours=12))  # fmt: skip
    assert len(inbox.received) == 4
    bodies = []
    for received in inbox.received:
        subject = sending.header(received, "Subject")
        assert not any(word in subject.lower() for word in PRIVATE_WORDS)
        parts = {part.get_content_type(): part for part in received.walk()}
        bodies.append(parts["text/plain"].get_payload(decode=True).decode())
    day0, day1, day3, day7 = bodies
    expected = {day: aftercare_context(stored, day, since) for day, since in
                ((0, 0), (1, 0), (3, 1), (7, 3))}  # fmt: skip
    steps = [s["instruction"] for s in stored["aftercare"] if s["session"] == 1]
    assert "No strenuous exercise or sweating." in steps
    assert "- No strenuous exercise or sweating." in day0 and "What is normal now:" in day0
    assert "Redness like a mild sunburn" in day0
    assert all(f"- {line}" in day1 for line in expected[1]["care_do"])
    assert "No longer needed from today" in day3
    assert "- No strenuous exercise or sweating." in day3.split("No longer needed")[1]
    assert "No retinoids" in day7.split("No longer needed")[1]
    contact = expected[7]["contact_signs"]
    assert contact.startswith("Call the clinic") and all(contact in body for body in bodies)
    assert len(sessions) >= 1


def test_without_a_plan_the_shipped_timeline_is_used() -> None:
    context = aftercare_context(None, 0)
    assert context["care_do"] and context["contact_signs"].startswith("Call the clinic")
    assert aftercare_context({"aftercare": []}, 3, 1)["care_ended"]
