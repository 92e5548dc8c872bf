# ruff: noqa: F811 (the fixtures imported from tests/web)
"""The patient's journey: sessions done and to come, the care plan as a PDF with the booked
sessions, maintenance; another patient, anonymous and staff are kept out."""

from __future__ import annotations

from datetime import UTC, datetime

import pypdfium2 as pdfium
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.portal.test_companion_web import booked_patient, text_of
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic


def test_sessions_done_and_to_come_the_care_plan_and_maintenance(clinic: Clinic) -> None:
    booked_patient(clinic, "journey@example.com", "2026-12-08T09:30")
    clinic.clock.now = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    client = patient_browser(clinic, "journey@example.com")
    words = text_of(client.get("/my/journey").text)
    assert "2 of 3 done." in words
    assert "Tuesday 8 December 2026, 09:30 — done" in words
    assert "Tuesday 12 January 2027, 09:30 — done" in words
    assert "Tuesday 23 February 2027, 09:30 — to come" in words
    assert "A maintenance session every" in words
    pdf = client.get("/my/journey/care-plan.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(pdf.content)
    printed = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Tuesday 23 February 2027, 09:30" in printed and "Ada Lovelace" in printed


def test_without_a_plan_and_for_others(clinic: Clinic) -> None:
    invited_patient(clinic, "noplan@example.com", given_name="Nora", family_name="Noplan")
    client = patient_browser(clinic, "noplan@example.com")
    assert "has not made a treatment plan" in client.get("/my/journey").text
    assert client.get("/my/journey/care-plan.pdf").status_code == 404
    anonymous = clinic.client()
    for url in ("/my/journey", "/my/journey/care-plan.pdf"):
        answer = anonymous.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/my/sign-in")
        assert clinic.signed_in("clinician").get(url).status_code == 403
