# ruff: noqa: F811 (the fixtures imported from tests/web)
"""Reporting a reaction from the portal (a short form with photos), refused whole on bad input;
staff's reported-reactions page (linked from Today), where a clinician confirms a report as an
adverse event or closes it; front desk sees the list but cannot confirm."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from starlette.testclient import TestClient
from tests.portal.portal_helpers import patient_browser
from tests.portal.test_companion_web import booked_patient, text_of
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, csrf_of, form_fields

from microneedling.store.models import AdverseEvent
from microneedling.store.portal_records_models import ReactionPhoto, ReactionReport


def jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def report(client: TestClient, files: list[tuple[str, bytes, str]] | None = None,
           **data: Any) -> Any:  # fmt: skip
    page = client.get("/my/reactions/new")
    values = {"csrf_token": csrf_of(page.text), "started_on": "2026-12-09",
              "symptoms": ["redness", "swelling"], "description": "Red and warm", **data}  # fmt: skip
    upload = [("photos", (name, content, kind)) for name, content, kind in files or []]
    return client.post("/my/reactions/new", data=values, files=upload or None)


def reports_of(clinic: Clinic, patient_id: int) -> list[tuple[int, str, int]]:
    with clinic.uow() as uow:
        rows = uow.session.execute(
            select(ReactionReport).where(ReactionReport.patient_id == patient_id)
        ).scalars()
        found = []
        for row in rows:
            photos = uow.session.execute(
                select(func.count()).where(ReactionPhoto.report_id == row.id)
            ).scalar_one()
            found.append((row.id, row.status, photos))
        return found


def test_a_patient_reports_a_reaction_with_photos_and_staff_confirm_it(clinic: Clinic) -> None:
    patient_id, _ = booked_patient(clinic, "react@example.com", "2026-12-08T09:30")
    clinic.clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    client = patient_browser(clinic, "react@example.com")
    care = client.get("/my/care").text
    assert 'href="/my/reactions/new"' in care
    sent = report(client, files=[("cheek.jpg", jpeg(), "image/jpeg"),
                                 ("close.jpg", jpeg(80, 60), "image/jpeg")])  # fmt: skip
    assert sent.status_code == 200 and sent.url.path == "/my/reactions/new"
    assert "Sent. The clinic will look at it" in sent.text
    assert "waiting for the clinic" in sent.text
    [(report_id, status, photos)] = reports_of(clinic, patient_id)
    assert (status, photos) == ("new", 2)

    staff = clinic.signed_in("clinician")
    today = staff.get("/").text
    assert 'href="/reactions"' in today
    listing = staff.get("/reactions").text
    assert f'href="/reactions/{report_id}"' in listing and "Red and warm" in listing
    detail = staff.get(f"/reactions/{report_id}")
    assert "Redness that is getting worse" in detail.text
    photo_ids = re.findall(r'src="/reactions/photos/(\d+)"', detail.text)
    assert len(photo_ids) == 2
    image = staff.get(f"/reactions/photos/{photo_ids[0]}")
    assert image.headers["content-type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"
    fields = dict(form_fields(detail.text, f"/reactions/{report_id}/confirm"))
    assert fields["kind"] == "prolonged_erythema" and fields["onset_on"] == "2026-12-09"
    confirmed = staff.post(
        f"/reactions/{report_id}/confirm", data={**fields, "severity": "moderate"}
    )
    assert confirmed.status_code == 200 and "the adverse event is recorded" in confirmed.text
    with clinic.uow() as uow:
        event = uow.session.execute(
            select(AdverseEvent).where(AdverseEvent.patient_id == patient_id)
        ).scalar_one()
        assert (event.kind, event.severity, event.onset_on.isoformat()) == (
            "prolonged_erythema", "moderate", "2026-12-09")  # fmt: skip
        assert event.appointment_id is not None
    assert reports_of(clinic, patient_id)[0][1] == "confirmed"
    again = staff.post(f"/reactions/{report_id}/confirm", data=fields)
    assert again.status_code == 422 and "already been dealt with" in again.text
    assert "the clinic has looked at it" in client.get("/my/reactions/new").text


def test_front_desk_sees_the_list_but_a_clinician_confirms_or_closes(clinic: Clinic) -> None:
    patient_id, _ = booked_patient(clinic, "desk@example.com", "2026-12-08T11:00")
    clinic.clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    client = patient_browser(clinic, "desk@example.com")
    report(client)
    [(report_id, _, _)] = reports_of(clinic, patient_id)
    desk = clinic.signed_in("front_desk")
    assert desk.get("/reactions").status_code == 200
    page = desk.get(f"/reactions/{report_id}").text
    assert "Confirm as an adverse event" not in page and "A clinician confirms" in page
    token = csrf_of(page)
    refused = desk.post(f"/reactions/{report_id}/close", data={"csrf_token": token, "note": "x"})
    assert refused.status_code == 403
    clinician = clinic.signed_in("clinician")
    token = csrf_of(clinician.get(f"/reactions/{report_id}").text)
    empty = clinician.post(f"/reactions/{report_id}/close", data={"csrf_token": token, "note": " "})
    assert empty.status_code == 422
    closed = clinician.post(f"/reactions/{report_id}/close",
                            data={"csrf_token": token, "note": "Expected redness, day 1"})  # fmt: skip
    assert closed.status_code == 200 and "Closed: not an adverse event" in closed.text
    assert reports_of(clinic, patient_id)[0][1] == "closed"
    assert "Expected redness, day 1" in clinician.get("/reactions?status=closed").text


def test_bad_reports_are_refused_whole_with_a_clear_message(clinic: Clinic) -> None:
    patient_id, _ = booked_patient(clinic, "badreport@example.com", "2026-12-08T13:00")
    clinic.clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    client = patient_browser(clinic, "badreport@example.com")
    big = Image.new("RGB", (3000, 3000))
    noise = io.BytesIO()
    big.save(noise, "PNG")  # flat image: small file, but 9 megapixels
    cases: list[tuple[dict[str, Any], list[tuple[str, bytes, str]], str]] = [
        ({"started_on": "2026-12-10"}, [], "cannot be in the future"),
        ({"started_on": "yesterday"}, [], "give the day it started"),
        ({"started_on": ""}, [], "say on which day it started"),
        ({"started_on": "2026-01-01"}, [], "please call the clinic"),
        ({"symptoms": [], "description": ""}, [], "tick what you notice"),
        ({"symptoms": ["<script>"]}, [], "choose from the list"),
        ({"description": "x" * 2001}, [], "at most 2,000 characters"),
        ({}, [("a.jpg", b"not an image at all", "image/jpeg")], "photo 1"),
        ({}, [("evil.svg", b"<svg onload=alert(1)>", "image/svg+xml")], "photo 1"),
        ({}, [("a.jpg", jpeg(), "image/jpeg"), ("b.jpg", b"\xff\xd8\xff\xe0trunc", "image/jpeg")],
         "photo 2"),
        ({}, [(f"{n}.jpg", jpeg(), "image/jpeg") for n in range(4)], "at most 3 photos"),
        ({}, [("empty.jpg", b"", "image/jpeg")], "is empty"),
        ({}, [("huge.jpg", b"\xff\xd8" + b"0" * 2_100_000, "image/jpeg")], "Too large"),
    ]  # fmt: skip
    for data, files, message in cases:
        answer = report(client, files=files, **data)
        assert answer.status_code in (413, 422), (data, message)
        assert message in answer.text, (message, text_of(answer.text)[:400])
        assert "Nothing was sent" in answer.text or answer.status_code == 413
    assert reports_of(clinic, patient_id) == []


def test_a_phone_sized_photo_is_taken(clinic: Clinic) -> None:
    """Phone photos are megabytes: the report's form takes them as staff's photo uploads do."""
    patient_id, _ = booked_patient(clinic, "bigphoto@example.com", "2026-12-08T15:30")
    clinic.clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    client = patient_browser(clinic, "bigphoto@example.com")
    buffer = io.BytesIO()
    Image.effect_noise((1200, 1200), 90).convert("RGB").save(buffer, "JPEG", quality=95)
    photo = buffer.getvalue()
    assert len(photo) > 1_100_000  # above the 1 MB limit of forms without uploads
    sent = report(client, files=[("cheek.jpg", photo, "image/jpeg")])
    assert sent.status_code == 200 and "Sent." in sent.text, text_of(sent.text)[:300]
    assert [photos for _, _, photos in reports_of(clinic, patient_id)] == [1]
