"""A clinic's own message settings are what queueing and sending use: its timings (a reminder 24
hours before, one turned off), its quiet hours, and its wording of a message — while another
clinic keeps the defaults."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tests.integration import test_messages_sending as sending
from tests.integration.scheduling_support import SchedulingWorld

from microneedling.services.messages.clinic_settings import save_template, update_message_settings
from microneedling.services.messages.worker import run_once
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import Appointment

clinic = sending.clinic
smtp = sending.smtp


def kinds(clinic: SchedulingWorld, patient_id: int) -> dict[str, list[OutboxMessage]]:
    found: dict[str, list[OutboxMessage]] = {}
    for row in sending.rows(clinic, patient_id, status="queued"):
        found.setdefault(row.kind, []).append(row)
    return found


def test_the_clinics_timings_quiet_hours_and_wording_are_used(
    clinic: SchedulingWorld, smtp: tuple[sending._Inbox, int]
) -> None:
    inbox, port = smtp
    update_message_settings(
        clinic.uow, clinic.owner,
        {"quiet_hours": "", "reminder_48h": "24", "reminder_2h": "", "precare_7d": "",
         "precare_1d": "1", "aftercare_1d": "2", "aftercare_3d": "4", "aftercare_7d": "10"},
        clock=clinic.clock,
    )  # fmt: skip
    save_template(
        clinic.uow, clinic.owner, "confirmation",
        "{{ clinic }} booked you for {{ when }}", "See you, {{ given_name }}!",
        clock=clinic.clock,
    )  # fmt: skip
    patient_id, _sessions = sending.booked_patient(clinic, email="ngoc@example.org")
    queued = kinds(clinic, patient_id)
    assert "reminder_2h" not in queued and "precare_7d" not in queued
    with clinic.uow:
        starts = {
            a.id: a.starts_at
            for a in clinic.uow.session.execute(
                select(Appointment).where(Appointment.patient_id == patient_id)
            ).scalars()
        }
    for row in queued["reminder_48h"]:
        assert row.send_after == starts[row.appointment_id] - timedelta(hours=24)
    for row in queued["aftercare_1d"]:
        local = row.send_after - starts[row.appointment_id]
        assert timedelta(days=1) < local < timedelta(days=3)
    run_once(clinic.world.database, {"email": sending.smtp_transport(port)}, now=clinic.clock())
    (received,) = inbox.received
    assert sending.header(received, "Subject").startswith(f"Clinic {clinic.slug} booked you for ")
    parts = {part.get_content_type(): part for part in received.walk()}
    assert "See you, Nguyễn!" in parts["text/plain"].get_payload(decode=True).decode()
