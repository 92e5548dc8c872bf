"""The booking confirmation's ``.ics`` is the patient's calendar export: the same events with the
same UIDs (``<clinic>-series-<id>-session-<n>@…``), so adding both gives each session once."""

from __future__ import annotations

import re

from tests.integration import test_messages_sending as sending
from tests.integration.scheduling_support import SchedulingWorld

from microneedling.services.messages.worker import run_once
from microneedling.services.scheduling.feeds import patient_calendar

clinic = sending.clinic
smtp = sending.smtp


def uids(ics: str) -> set[str]:
    return set(re.findall(r"^UID:(.+?)\r?$", ics, re.MULTILINE))


def test_the_confirmations_calendar_file_has_the_calendar_exports_uids(
    clinic: SchedulingWorld, smtp: tuple[sending._Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, sessions = sending.booked_patient(clinic, email="ngoc@example.org")
    run_once(clinic.world.database, {"email": sending.smtp_transport(port)}, now=clinic.clock())
    (received,) = inbox.received
    parts = {part.get_content_type(): part for part in received.walk()}
    attached = parts["text/calendar"].get_payload(decode=True).decode()
    exported = patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock).decode()
    assert len(uids(attached)) == len(sessions) >= 2
    assert uids(attached) == uids(exported)
    assert all(re.match(rf"clinic-{clinic.slug}|{clinic.slug}-series-\d+-session-\d+@", uid)
               for uid in uids(attached))  # fmt: skip
