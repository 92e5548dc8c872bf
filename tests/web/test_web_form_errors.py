"""A form reports every problem in one pass (what the form checks and what the use case checks,
together), in the receptionist's words, and keeps what was typed. A number is not a date."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from tests.web.web_helpers import TODAY, Clinic, error_summary, new_patient, token

#: What a date field asks for.
ENTER_A_DATE = "Enter a date like 14/03/1988"


def register(clinic: Clinic, **fields: str) -> tuple[int, str, list[str]]:
    client = clinic.signed_in("front_desk")
    data = {
        "csrf_token": token(client, "/patients/new"),
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birth_date": "1990-05-17",
        "fitzpatrick": "2",
        **fields,
    }
    response = client.post("/patients/new", data=data)
    return response.status_code, response.text, error_summary(response.text)


def test_registering_shows_a_missing_name_a_bad_email_and_a_future_birth_date_at_once(
    clinic: Clinic,
) -> None:
    status, page, problems = register(
        clinic,
        family_name="",
        email="ada@nowhere",
        phone="call me",
        birth_date=(TODAY + timedelta(days=1)).isoformat(),
    )
    assert status == 422
    assert "Family name: is required" in problems
    assert "E-mail address: Enter an e-mail address like name@example.com" in problems
    assert any(p.startswith("Phone number: Enter a phone number") for p in problems)
    assert "Date of birth: cannot be in the future" in problems
    assert len(problems) == 4
    assert 'value="ada@nowhere"' in page and 'value="call me"' in page


@pytest.mark.parametrize("typed", ["0", "1e9", "86400", "-1", "1988", "14/13/1988", "yesterday"])
def test_a_number_or_nonsense_in_a_date_field_asks_for_a_date(clinic: Clinic, typed: str) -> None:
    status, page, problems = register(clinic, birth_date=typed)
    assert status == 422
    expected = f"{typed} is not a real date" if typed == "14/13/1988" else ENTER_A_DATE
    assert problems == [f"Date of birth: {expected}"]
    assert f'value="{typed}"' in page


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "01/01/1899", "31/12/3000"])
def test_a_date_in_an_implausible_year_is_refused_with_the_years_allowed(
    clinic: Clinic, typed: str
) -> None:
    status, _, problems = register(clinic, birth_date=typed)
    assert status == 422
    assert problems == ["Date of birth: Enter a year from 1900 to 2999"]


def test_a_date_typed_day_first_is_taken(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={
            "csrf_token": token(client, "/patients/new"),
            "given_name": "Dora",
            "family_name": "Dayfirst",
            "birth_date": "14/03/1988",
            "fitzpatrick": "3",
        },
    )
    assert re.fullmatch(r"/patients/\d+", response.url.path), error_summary(response.text)
    assert "(age 38)" in response.text


def test_a_fitzpatrick_type_out_of_range_says_which_types_there_are(clinic: Clinic) -> None:
    _, _, problems = register(clinic, fitzpatrick="9")
    assert problems == ["Fitzpatrick skin type: Choose a Fitzpatrick type between 1 and 6"]


def test_an_adverse_event_without_a_kind_and_in_the_future_reports_both(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/adverse-events/new"
    response = client.post(
        path,
        data={
            "csrf_token": token(client, path),
            "severity": "mild",
            "onset_on": (TODAY + timedelta(days=2)).isoformat(),
            "description": "x" * 10_001,
        },
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert any(p.startswith("What happened:") for p in problems), problems
    assert any(p.endswith("cannot be in the future") for p in problems), problems
    assert any(p.endswith("is too long: at most 10,000 characters") for p in problems), problems


def test_a_new_staff_member_with_a_bad_email_and_no_name_hears_of_both(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    response = client.post(
        "/admin/staff",
        data={
            "csrf_token": token(client, "/admin/staff"),
            "email": "not-an-email",
            "display_name": "",
            "role": "clinician",
            "password": "long enough password",
        },
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert "Name: is required" in problems
    assert "E-mail address: Enter an e-mail address like name@example.com" in problems


def test_an_intake_without_zones_and_dated_tomorrow_reports_both(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={"csrf_token": token(client), "on": (TODAY + timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert "Zones to treat: tick at least one zone to treat" in problems
    assert "Assessment date: is after today" in problems


def test_an_outcome_without_its_date_and_with_a_grade_out_of_range_reports_both(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic)
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/outcomes"
    response = client.post(
        path,
        data={"csrf_token": token(client, path), "scale": "gais", "input.grade": "99"},
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert problems == [
        "Assessed on: is required",
        "Improvement compared with before treatment: must be 1–5, got 99",
    ]


def test_a_price_over_the_limit_is_written_with_separators_never_an_exponent(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("owner")
    page = client.get("/admin/prices").text
    fields = dict(re.findall(r'name="([a-z_.]+)" value="([^"]*)"', page))
    response = client.post(
        "/admin/prices",
        data={**fields, "csrf_token": token(client), "per_session.small": "2000000"},
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert "A small area, per session: Enter a number from 0 to 1,000,000" in problems, problems
    assert not any("e+" in p for p in problems)
