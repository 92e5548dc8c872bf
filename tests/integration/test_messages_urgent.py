"""Urgent messages (category ``account``: a portal sign-in code, an invitation) go at once:
queued inside quiet hours and to a patient who stopped every kind of message, they are sent on
the worker's next pass exactly as their caller wrote them, with no unsubscribe link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.integration import test_messages_sending as sending
from tests.integration.scheduling_support import SchedulingWorld

from microneedling.services import patients
from microneedling.services.messages.outbox import queue_urgent
from microneedling.services.messages.worker import WorkerSettings, run_once
from microneedling.store.message_models import MESSAGE_KINDS, MessagePreference, OutboxMessage

clinic = sending.clinic
smtp = sending.smtp

#: 23:30 in Berlin: inside the default quiet hours.
LATE = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)


@pytest.fixture
def urgent_kind() -> str:
    MESSAGE_KINDS.setdefault("test_sign_in_code", "account")
    return "test_sign_in_code"


def test_an_urgent_message_goes_at_once_in_quiet_hours_to_a_patient_who_stopped_everything(
    clinic: SchedulingWorld, smtp: tuple[object, int], urgent_kind: str
) -> None:
    inbox, port = smtp
    patient_id = patients.register_patient(
        clinic.uow,
        clinic.desk,
        {"given_name": "Nguyễn", "family_name": "王芳", "birth_date": "1990-05-17",
         "fitzpatrick": 3, "email": "ngoc@example.org"},
        clock=clinic.clock,
    )  # fmt: skip
    with clinic.uow:
        clinic.uow.session.add(
            MessagePreference(
                clinic_id=clinic.owner.clinic_id, patient_id=patient_id, email=False, sms=False,
                reminders=False, aftercare=False, recalls=False, marketing=False,
                recorded_at=LATE, source="staff", recorded_by=None,
            )
        )  # fmt: skip
        queue_urgent(
            clinic.uow.session,
            clinic.owner.clinic_id,
            kind=urgent_kind,
            channel="email",
            recipient="ngoc@example.org",
            subject="Your sign-in code",
            text="Your code is 123456.",
            now=LATE,
            patient_id=patient_id,
        )
        clinic.uow.commit()
    summary = run_once(
        clinic.world.database,
        {"email": sending.smtp_transport(port)},
        now=LATE,
        settings=WorkerSettings(public_url="https://clinic.example", signing_key=b"k" * 32),
    )
    assert summary.sent == 1
    (received,) = inbox.received  # type: ignore[attr-defined]
    assert sending.header(received, "Subject") == "Your sign-in code"
    assert received["List-Unsubscribe"] is None
    assert "Your code is 123456." in received.get_payload(decode=True).decode()
    with clinic.uow:
        row = clinic.uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)
        ).scalar_one()
        assert (row.status, row.category) == ("sent", "account")


def test_only_urgent_kinds_and_real_channels_and_addresses_are_queued_this_way(
    clinic: SchedulingWorld, urgent_kind: str
) -> None:
    with clinic.uow:
        session, clinic_id = clinic.uow.session, clinic.owner.clinic_id
        common = {"subject": "s", "text": "t", "now": LATE}
        with pytest.raises(ValueError, match="not an urgent kind"):
            queue_urgent(session, clinic_id, kind="reminder_2h", channel="sms",
                         recipient="+31600000000", **common)  # fmt: skip
        with pytest.raises(ValueError, match="not a channel"):
            queue_urgent(session, clinic_id, kind=urgent_kind, channel="fax",
                         recipient="+31600000000", **common)  # fmt: skip
        with pytest.raises(ValueError, match="address"):
            queue_urgent(session, clinic_id, kind=urgent_kind, channel="sms",
                         recipient="  ", **common)  # fmt: skip
