"""A name holding direction controls (a right-to-left override, a classic spoofing trick) is shown
inside ``<bdi>`` on every page, so the text around it reads as written (issue 14, item 7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.web.web_helpers import Clinic, all_day_calendar, token

from microneedling.services import appointments
from microneedling.services.clock import fixed_clock

RLO = "\u202e"
GIVEN = f"Ada{RLO}ecilA"
FAMILY = "Lovelace\u2067"  # an isolate that is never closed


def _outside_bdi(html: str) -> str:
    """The page without its ``<bdi>`` elements (and their content) nor form fields' values (a
    form field is isolated by itself, and keeps what was typed)."""
    html = re.sub(r'value="[^"]*"', "", html)
    return re.sub(r"<bdi>.*?</bdi>", "", html, flags=re.DOTALL)


def _register(clinic: Clinic) -> int:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client, "/patients/new"),
            "given_name": GIVEN,
            "family_name": FAMILY,
            "birth_date": "1991-03-04",
            "sex": "female",
            "fitzpatrick": "2",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    found = re.search(r"/patients/(\d+)", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def test_a_name_with_a_right_to_left_override_is_isolated_on_every_page(clinic: Clinic) -> None:
    patient_id = _register(clinic)
    all_day_calendar(clinic)
    start = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    appointment_id = appointments.book_appointment(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        starts_at=start,
        duration_minutes=45,
        practitioner_id=clinic.clinician.staff_user_id,
        clock=fixed_clock(start - timedelta(days=7)),
    )
    client = clinic.signed_in("owner")
    pages = [
        f"/patients/{patient_id}",
        f"/patients?q={GIVEN[:3]}",
        f"/patients/{patient_id}/appointments/new",
        f"/patients/{patient_id}/consents/new",
        f"/patients/{patient_id}/photos",
        f"/appointments/{appointment_id}",
        "/?day=2026-12-01",
        "/calendar?day=2026-12-01&view=day&by=practitioner",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert f"<bdi>{GIVEN}" in html or f"<bdi>{FAMILY}" in html, path
        outside = _outside_bdi(html)
        # No override nor isolate is left loose in the page's text; in attributes and the window
        # title the name is between FSI and PDI with the override removed.
        assert RLO not in outside, path
        assert FAMILY not in outside.replace(f"{FAMILY}\u2069", ""), path
        for attribute in re.findall(r'(?:aria-label|alt)="([^"]*Ada[^"]*)"', outside):
            assert "\u2068AdaecilA Lovelace\u2069" in attribute, (path, attribute)


def test_staff_and_clinic_names_are_isolated_in_the_layout(clinic: Clinic) -> None:
    html = clinic.signed_in("owner").get("/account").text
    assert "<bdi>Olga Owner</bdi>" in html
    assert "<bdi>Web Test Clinic</bdi>" in html
