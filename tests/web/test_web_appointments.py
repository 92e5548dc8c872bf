"""Issue 13 in the staff pages: one-off bookings checked against the calendar, check-in and
no-show only offered (and accepted) when they apply, cancelling with a reason, and a charted
session's page saying who signed its chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.web.web_helpers import START, Clinic, new_patient, token, weekday_calendar

from microneedling.services import appointments, charts
from microneedling.services.clock import fixed_clock


@pytest.fixture(scope="module", autouse=True)
def calendar(clinic: Clinic) -> dict[str, Any]:
    return weekday_calendar(clinic)


def patient(clinic: Clinic, given: str, family: str) -> int:
    """A patient screened eligible for the cheeks, with the treatment consent signed."""
    from microneedling.services import consents

    patient_id = new_patient(clinic, given_name=given, family_name=family, consent=False)
    consents.sign_consent(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        {"kind": "treatment", "form_version": "1", "signed_by_name": given},
        clock=clinic.clock,
    )
    return patient_id


def book(clinic: Clinic, patient_id: int, starts_at: datetime, minutes: int = 45) -> int:
    """A one-off session with the clinician, booked a week before it (so never in the past)."""
    return appointments.book_appointment(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        starts_at=starts_at,
        duration_minutes=minutes,
        practitioner_id=clinic.clinician.staff_user_id,
        clock=fixed_clock(starts_at - timedelta(days=7)),
    )


def status_buttons(html: str, appointment_id: int) -> list[str]:
    """The statuses the page offers for this appointment (its status forms)."""
    return re.findall(
        rf'action="/appointments/{appointment_id}/status"[^>]*>\s*<input[^>]*>'
        rf'<input type="hidden" name="status" value="([a-z_]+)"',
        html,
    )


# Defect 9: a charted session's page -------------------------------------------------------------


def test_a_charted_session_page_says_who_signed_the_chart_and_never_not_charted(
    clinic: Clinic,
) -> None:
    patient_id = patient(clinic, "Carla", "Charted")
    appointment_id = book(clinic, patient_id, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 09:00
    charts.chart_session(
        clinic.uow(),
        clinic.clinician,
        appointment_id,
        {"device_id": clinic.device_id, "cartridge_lot": clinic.good_lot, "needle_count": 12,
         "zones": [{"zone": "cheeks", "depth_mm": 1.0, "passes": 2}],
         "clinical_endpoint": "uniform erythema", "duration_minutes": 30},
        clock=clinic.clock,
    )  # fmt: skip
    desk = clinic.signed_in("front_desk").get(f"/appointments/{appointment_id}").text
    assert "Not charted." not in desk
    assert "Charted: signed by <bdi>Dr Cleo Clinician</bdi>, Tue 1 Dec 2026 11:00." in desk
    assert "The chart itself is for clinical staff." in desk
    clinician = clinic.signed_in("clinician").get(f"/appointments/{appointment_id}").text
    assert "Not charted." not in clinician
    assert "signed and locked" in clinician
    assert '<a href="#current-heading">Read the chart</a>' in clinician


def test_a_session_not_charted_yet_still_says_so(clinic: Clinic) -> None:
    patient_id = patient(clinic, "Nora", "Notyet")
    appointment_id = book(clinic, patient_id, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    appointments.set_appointment_status(
        clinic.uow(), clinic.front_desk, appointment_id, "cancelled", reason="ill",
        clock=clinic.clock,
    )  # fmt: skip
    page = clinic.signed_in("front_desk").get(f"/appointments/{appointment_id}").text
    assert "Not charted." in page and "Charted:" not in page


# Defect 4: check-in on the day, no-show after the start ---------------------------------------


def test_the_record_offers_check_in_only_on_the_day_and_no_show_only_after_the_start(
    clinic: Clinic,
) -> None:
    patient_id = patient(clinic, "Dora", "Days")
    next_week = book(clinic, patient_id, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    this_afternoon = book(clinic, patient_id, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    # 10:00 in Amsterdam (09:00 is Carla's, booked with the same clinician above).
    this_morning = book(clinic, patient_id, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    html = clinic.signed_in("front_desk").get(f"/patients/{patient_id}").text
    assert "checked_in" not in status_buttons(html, next_week)
    assert "no_show" not in status_buttons(html, next_week)
    assert "checked_in" in status_buttons(html, this_afternoon)
    assert "no_show" not in status_buttons(html, this_afternoon)
    assert {"checked_in", "no_show"} <= set(status_buttons(html, this_morning))


def test_checking_in_a_session_next_week_is_refused_with_the_reason(clinic: Clinic) -> None:
    patient_id = patient(clinic, "Eli", "Early")
    next_week = book(clinic, patient_id, datetime(2026, 12, 8, 11, 0, tzinfo=UTC))
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/appointments/{next_week}/status",
        data={"csrf_token": token(client), "status": "checked_in", "back": "/"},
    )
    assert response.status_code == 400
    assert "this one is on Tue 8 Dec 2026, today is Tue 1 Dec 2026" in response.text
    view = appointments.read_appointment(
        clinic.uow(), clinic.front_desk, next_week, clock=clinic.clock
    )
    assert view["status"] == "scheduled"
    assert START.date().isoformat() == "2026-12-01"
