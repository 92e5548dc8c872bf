"""Staff see messages to patients: a patient's messages (kind, channel, when, status) and the
failed ones; another clinic's patient is not found; hostile ids are refused. The router is added
to this module's application here (the lead registers it in web/routes/__init__.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.web.web_helpers import Clinic, new_patient

from microneedling.store.message_models import OutboxMessage
from microneedling.web.routes.messages import router


@pytest.fixture(autouse=True, scope="module")
def routed(clinic: Clinic) -> None:
    if not any(getattr(route, "path", "") == "/messages" for route in clinic.app.routes):
        clinic.app.include_router(router)


def queue(clinic: Clinic, patient_id: int, **values: object) -> None:
    now = clinic.clock()
    row = {
        "clinic_id": clinic.front_desk.clinic_id, "patient_id": patient_id, "kind": "reminder_48h",
        "category": "reminders", "channel": "sms", "recipient": "+31 6 1234 5678",
        "send_after": now + timedelta(days=1), "status": "queued", "attempts": 0,
        "next_attempt_at": now + timedelta(days=1), "created_at": now, "status_changed_at": now,
        **values,
    }  # fmt: skip
    uow = clinic.uow()
    with uow:
        uow.session.add(OutboxMessage(**row))
        uow.commit()


def test_a_patients_messages_are_listed_with_kind_channel_time_and_status(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False, consent=False)
    queue(clinic, patient_id)
    queue(clinic, patient_id, kind="confirmation", channel="email", recipient="a@example.org",
          status="failed", last_error="the mail server refused the address: 550")  # fmt: skip
    page = clinic.signed_in("front_desk").get(f"/patients/{patient_id}/messages")
    assert page.status_code == 200
    assert "Reminder (48 hours)" in page.text and "SMS" in page.text
    assert "Booking confirmation" in page.text and "refused the address: 550" in page.text


def test_the_failed_messages_page_lists_only_failed_ones(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False, consent=False)
    queue(clinic, patient_id, kind="aftercare_1d", category="aftercare", status="failed",
          last_error="the SMS provider answered 503 (gave up after 5 attempts)")  # fmt: skip
    page = clinic.signed_in("clinician").get("/messages")
    assert page.status_code == 200
    assert "Aftercare (day 1)" in page.text and "gave up after 5 attempts" in page.text
    assert f"/patients/{patient_id}/messages" in page.text


def test_another_clinics_patient_is_not_found(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False, consent=False)
    page = clinic.signed_in("other_owner").get(f"/patients/{patient_id}/messages")
    assert page.status_code == 404


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "9" * 40, "1%00"])
def test_hostile_patient_ids_are_refused(clinic: Clinic, bad: str) -> None:
    page = clinic.signed_in("owner").get(f"/patients/{bad}/messages")
    assert page.status_code in (404, 422)


def test_signing_in_is_required(clinic: Clinic) -> None:
    page = clinic.client().get("/messages", follow_redirects=False)
    assert page.status_code in (303, 401, 302)
