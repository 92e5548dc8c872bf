"""The public unsubscribe page (the link in every e-mail): GET shows what stops and a button and
changes nothing; POST stops that kind of message at once, with no session and no CSRF token (RFC
8058 one-click, as mail programs send it); forged, altered, malformed and oversized links get
the same 404 page and change nothing; a form posted from another site is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from tests.web.web_helpers import Clinic, form_fields, new_patient

from microneedling.services.messages.optout import unsubscribe_token
from microneedling.store.message_models import MessagePreference, OutboxMessage
from microneedling.web import create_web_app
from microneedling.web.settings import WebSettings

KEY = "an-unsubscribe-signing-key-of-40-characters"


@pytest.fixture(scope="module")
def public(clinic: Clinic) -> Iterator[TestClient]:
    """The web application with a signing key, on the test clinic's records; no one signed in."""
    config = clinic.settings.model_copy(update={"messages_signing_key": SecretStr(KEY)})
    app = create_web_app(
        config, web_settings=WebSettings(secret_key="k" * 40), database=clinic.database,
        clock=clinic.clock,
    )  # fmt: skip
    with TestClient(app, follow_redirects=False) as client:
        yield client


def patient_with_queued(clinic: Clinic) -> int:
    patient_id = new_patient(clinic, screened=False, consent=False, email="ada@example.org")
    now = clinic.clock()
    uow = clinic.uow()
    with uow:
        for kind, category in (("reminder_48h", "reminders"), ("aftercare_1d", "aftercare")):
            uow.session.add(
                OutboxMessage(
                    clinic_id=clinic.front_desk.clinic_id, patient_id=patient_id, kind=kind,
                    category=category, channel="email", recipient="ada@example.org",
                    send_after=now + timedelta(days=2), status="queued", attempts=0,
                    next_attempt_at=now + timedelta(days=2), created_at=now,
                    status_changed_at=now,
                )
            )  # fmt: skip
        uow.commit()
    return patient_id


def link(clinic: Clinic, patient_id: int, category: str = "reminders") -> str:
    token = unsubscribe_token(
        KEY.encode(), clinic.front_desk.clinic_id, patient_id, category, "email"
    )
    return f"/unsubscribe/{token}"


def state(clinic: Clinic, patient_id: int) -> dict[str, Any]:
    uow = clinic.uow()
    with uow:
        queued = uow.session.execute(
            select(OutboxMessage.category).where(
                OutboxMessage.patient_id == patient_id, OutboxMessage.status == "queued"
            )
        ).scalars()
        choices = uow.session.execute(
            select(MessagePreference.source, MessagePreference.reminders).where(
                MessagePreference.patient_id == patient_id
            )
        ).all()
        return {"queued": sorted(queued), "choices": [tuple(row) for row in choices]}


def test_opening_the_link_shows_what_stops_and_changes_nothing(
    clinic: Clinic, public: TestClient
) -> None:
    patient_id = patient_with_queued(clinic)
    before = state(clinic, patient_id)
    for _ in range(3):  # a mail scanner, a link preview, the patient
        page = public.get(link(clinic, patient_id))
        assert page.status_code == 200
    assert "Stop appointment confirmations and reminders?" in page.text
    assert "Web Test Clinic" in page.text and "Lovelace" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert form_fields(page.text, link(clinic, patient_id)) == []  # a button, no token field
    assert state(clinic, patient_id) == before


def test_the_button_stops_that_kind_at_once_without_a_session_or_csrf_token(
    clinic: Clinic, public: TestClient
) -> None:
    patient_id = patient_with_queued(clinic)
    done = public.post(link(clinic, patient_id))
    assert done.status_code == 200 and "Done: no more appointment confirmations" in done.text
    assert state(clinic, patient_id) == {
        "queued": ["aftercare"],
        "choices": [("unsubscribe_link", False)],
    }
    again = public.get(link(clinic, patient_id))
    assert "You already stopped these messages" in again.text


def test_rfc_8058_one_click_from_a_mail_program(clinic: Clinic, public: TestClient) -> None:
    patient_id = patient_with_queued(clinic)
    answer = TestClient(public.app).post(
        link(clinic, patient_id, "aftercare"),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert state(clinic, patient_id)["queued"] == ["reminders"]
    # Posting twice records nothing new.
    public.post(link(clinic, patient_id, "aftercare"))
    assert len(state(clinic, patient_id)["choices"]) == 1


def altered(token: str) -> list[str]:
    clinic_id, patient_id, category, channel, signature = token.split(".")
    return [
        f"{clinic_id}.{int(patient_id) + 1}.{category}.{channel}.{signature}",
        f"{clinic_id}.{patient_id}.marketing.{channel}.{signature}",
        f"{clinic_id}.{patient_id}.{category}.{channel}.{signature[:-1]}A",
        f"{clinic_id}.{patient_id}.{category}.{channel}",
        f"{clinic_id}.{patient_id}.account.{channel}.{signature}",
        "x" * 5000,
        "%00%27%22%3Cscript%3E",
        "1.1.reminders.email." + "A" * 27,
    ]


def test_forged_altered_malformed_and_oversized_links_change_nothing(
    clinic: Clinic, public: TestClient
) -> None:
    patient_id = patient_with_queued(clinic)
    before = state(clinic, patient_id)
    for bad in altered(link(clinic, patient_id).removeprefix("/unsubscribe/")):
        for method in ("GET", "POST"):
            answer = public.request(method, f"/unsubscribe/{bad}")
            assert answer.status_code == 404, (method, bad[:40])
            assert "This link does not work" in answer.text
            assert "<script>" not in answer.text
    assert state(clinic, patient_id) == before


def test_a_form_posted_from_another_site_is_refused(clinic: Clinic, public: TestClient) -> None:
    patient_id = patient_with_queued(clinic)
    answer = public.post(link(clinic, patient_id), headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert state(clinic, patient_id)["choices"] == []


def test_without_a_signing_key_no_link_works(clinic: Clinic) -> None:
    patient_id = patient_with_queued(clinic)
    answer = TestClient(clinic.app).post(link(clinic, patient_id))
    assert answer.status_code == 404
    assert state(clinic, patient_id)["choices"] == []
