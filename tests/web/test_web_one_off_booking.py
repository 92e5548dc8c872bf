"""Issue 13 in the staff pages: "Book an appointment" checks a one-off session against the clinic
calendar (clashes, closed days, the past) and says why in a receptionist's words; the Today page
offers check-in on the clinic's today only, a no-show once the start has passed, and cancelling
through the confirmation that asks for the reason. "Now" is Tuesday 1 December 2026, 11:00 in
Amsterdam."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.web.web_helpers import Clinic, new_patient, token, weekday_calendar

from microneedling.services import appointments
from microneedling.services.clock import fixed_clock


@pytest.fixture(scope="module", autouse=True)
def calendar(clinic: Clinic) -> dict[str, Any]:
    return weekday_calendar(clinic)


def book_on_the_page(
    clinic: Clinic, patient_id: int, day: str, start: str, minutes: str = "60"
) -> Any:
    client = clinic.signed_in("front_desk")
    path = f"/patients/{patient_id}/appointments/new"
    return client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "day": day,
            "start": start,
            "duration_minutes": minutes,
            "practitioner_id": str(clinic.clinician.staff_user_id),
        },
    )


def listed(clinic: Clinic, patient_id: int) -> list[dict[str, Any]]:
    return appointments.list_appointments(
        clinic.uow(), clinic.front_desk, patient_id=patient_id, clock=clinic.clock
    )["items"]


def booked_earlier(clinic: Clinic, patient_id: int, starts_at: datetime) -> int:
    """A one-off with the clinician, booked a week before it."""
    return appointments.book_appointment(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        starts_at=starts_at,
        duration_minutes=45,
        practitioner_id=clinic.clinician.staff_user_id,
        clock=fixed_clock(starts_at - timedelta(days=7)),
    )


# Book an appointment ----------------------------------------------------------------------------


def test_a_free_time_is_booked_on_the_page(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Fay", family_name="Free")
    response = book_on_the_page(clinic, patient_id, "2026-12-09", "11:00")
    assert response.status_code == 200
    assert "Booked for 2026-12-09 at 11:00." in response.text
    assert [item["starts_at"] for item in listed(clinic, patient_id)] == ["2026-12-09T10:00:00Z"]


def test_a_time_the_clinician_already_has_is_refused_saying_what_clashes(clinic: Clinic) -> None:
    first = new_patient(clinic, given_name="Ann", family_name="First")
    assert book_on_the_page(clinic, first, "2026-12-08", "09:00").status_code == 200
    second = new_patient(clinic, given_name="Bob", family_name="Second")
    response = book_on_the_page(clinic, second, "2026-12-08", "09:00")
    assert response.status_code == 422
    assert "Dr Cleo Clinician already has a session from 09:00 to 10:00 on Tue 8 Dec 2026" in (
        response.text
    )
    assert listed(clinic, second) == []


def test_three_at_night_on_a_sunday_is_refused_because_the_clinic_is_closed(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, given_name="Sue", family_name="Sunday")
    response = book_on_the_page(clinic, patient_id, "2026-12-06", "03:00")
    assert response.status_code == 422
    assert "The clinic is closed on Sundays" in response.text
    assert listed(clinic, patient_id) == []


def test_a_time_that_has_passed_is_refused(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Pat", family_name="Past")
    response = book_on_the_page(clinic, patient_id, "2026-12-01", "09:00")
    assert response.status_code == 422
    assert "That time has passed: choose a time after now" in response.text
    assert listed(clinic, patient_id) == []


def test_the_booking_page_says_bookings_follow_the_clinic_calendar(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Hal", family_name="Hint")
    page = clinic.signed_in("front_desk").get(f"/patients/{patient_id}/appointments/new").text
    assert "opening hours" in page and "working hours" in page


# The Today page --------------------------------------------------------------------------------


def today_actions(html: str, appointment_id: int) -> list[str]:
    """What the day sheet offers for this appointment: statuses posted and links followed."""
    statuses = re.findall(
        rf'action="/appointments/{appointment_id}/status"[^>]*>\s*<input[^>]*>'
        rf'<input type="hidden" name="status" value="([a-z_]+)"',
        html,
    )
    links = re.findall(rf'href="(/appointments/{appointment_id}/[a-z]+)"', html)
    return statuses + links


def test_the_day_sheet_offers_check_in_today_and_no_show_only_after_the_start(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, given_name="Tia", family_name="Today")
    started = booked_earlier(clinic, patient_id, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    later = booked_earlier(clinic, patient_id, datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    html = clinic.signed_in("front_desk").get("/").text
    assert {"checked_in", "no_show"} <= set(today_actions(html, started))
    assert "checked_in" in today_actions(html, later)
    assert "no_show" not in today_actions(html, later)


def test_another_days_sheet_offers_no_check_in(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Nia", family_name="Nextweek")
    next_week = booked_earlier(clinic, patient_id, datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    html = clinic.signed_in("front_desk").get("/?day=2026-12-10").text
    actions = today_actions(html, next_week)
    assert "checked_in" not in actions and "no_show" not in actions
    assert f"/appointments/{next_week}/cancel" in actions


def test_cancelling_from_the_day_sheet_goes_to_the_confirmation_with_a_reason(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, given_name="Cal", family_name="Cancel")
    appointment_id = booked_earlier(clinic, patient_id, datetime(2026, 12, 11, 9, 0, tzinfo=UTC))
    client = clinic.signed_in("front_desk")
    html = client.get("/?day=2026-12-11").text
    assert f'href="/appointments/{appointment_id}/cancel"' in html
    # A cancellation posted as a plain status change asks for the reason first.
    response = client.post(
        f"/appointments/{appointment_id}/status",
        data={"csrf_token": token(client), "status": "cancelled", "back": "/"},
    )
    assert response.status_code == 200
    assert "Why is it cancelled?" in response.text
    assert listed(clinic, patient_id)[0]["status"] == "scheduled"
    confirmed = client.post(
        f"/appointments/{appointment_id}/cancel",
        data={"csrf_token": token(client), "reason": "Patient has a cold"},
    )
    assert confirmed.status_code == 200
    view = appointments.read_appointment(
        clinic.uow(), clinic.front_desk, appointment_id, clock=clinic.clock
    )
    assert view["status"] == "cancelled"
    assert view["cancellation_reason"] == "Patient has a cold"
    # Its time is free again.
    again = new_patient(clinic, given_name="Ned", family_name="Next")
    assert book_on_the_page(clinic, again, "2026-12-11", "10:00").status_code == 200
