"""A number is not a date: ``"signed_at": 0`` is refused, not stored as 1970-01-01. Every date and
moment the API reads is ISO text (or nothing), in a plausible year, and a refusal says what to
write, in plain words."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.conftest import Clinic

ENTER_A_DATE = "Enter a date like 1988-03-14 (YYYY-MM-DD)"
ENTER_A_MOMENT = "Enter a date and time with its time zone, like 2026-12-07T10:30:00+01:00"
NOT_DATES: list[Any] = [0, 1, 86_400, 1e9, "0", "1e9", "86400", True, [2026, 12, 1]]


def problem_at(response: Any, path: str) -> str:
    assert response.status_code == 422, response.text
    found = {item["path"]: item["message"] for item in response.json()["fields"]}
    assert path in found, found
    return str(found[path])


@pytest.mark.parametrize("value", NOT_DATES, ids=repr)
def test_a_consent_signed_at_a_number_is_refused_not_stored_as_1970(
    clinic: Clinic, value: Any
) -> None:
    patient_id = clinic.world.patient()
    response = clinic.post(
        f"/patients/{patient_id}/consents",
        json={"kind": "treatment", "signed_by_name": "the patient", "signed_at": value},
    )
    assert problem_at(response, "signed_at") == ENTER_A_MOMENT
    assert clinic.get(f"/patients/{patient_id}/consents").json() == []


@pytest.mark.parametrize("value", NOT_DATES, ids=repr)
def test_a_birth_date_given_as_a_number_is_refused(clinic: Clinic, value: Any) -> None:
    response = clinic.post(
        "/patients",
        json={"given_name": "Ada", "family_name": "Numbers", "birth_date": value, "fitzpatrick": 2},
    )
    assert problem_at(response, "birth_date") == ENTER_A_DATE


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/appointments", {"starts_at": 0}, "starts_at", ENTER_A_MOMENT),
        ("/appointments", {"starts_at": "1700000000"}, "starts_at", ENTER_A_MOMENT),
        ("/adverse-events", {"onset_on": 0}, "onset_on", ENTER_A_DATE),
        ("/adverse-events", {"onset_on": "20261201"}, "onset_on", ENTER_A_DATE),
        ("/outcomes", {"assessed_on": 0}, "assessed_on", ENTER_A_DATE),
        ("/intakes", {"on": 0}, "on", ENTER_A_DATE),
        ("/lots", {"expires_on": 0}, "expires_on", ENTER_A_DATE),
        ("/lots", {"received_on": 1e9}, "received_on", ENTER_A_DATE),
    ],
)
def test_every_date_field_in_a_body_refuses_a_number(
    clinic: Clinic, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    patient_id = clinic.world.patient()
    bodies: dict[str, tuple[str, dict[str, Any]]] = {
        "/appointments": ("/appointments", {"patient_id": patient_id, "duration_minutes": 60}),
        "/adverse-events": (
            f"/patients/{patient_id}/adverse-events",
            {"kind": "prolonged_erythema", "severity": "mild", "onset_on": "2026-11-30"},
        ),
        "/outcomes": (f"/patients/{patient_id}/outcomes", {"scale": "gags", "inputs": {}}),
        "/intakes": (f"/patients/{patient_id}/intakes", {"zones": ["cheeks"]}),
        "/lots": (
            "/lots",
            {
                "manufacturer": "Acme",
                "product": "12-pin",
                "lot_number": "L-0",
                "expires_on": "2027-06-30",
                "quantity_received": 10,
            },
        ),
    }
    address, base = bodies[path]
    response = clinic.post(address, role="clinician", json={**base, **body})
    assert problem_at(response, field) == message


def test_resolving_an_adverse_event_on_day_zero_is_refused(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    created = clinic.post(
        f"/patients/{patient_id}/adverse-events",
        role="clinician",
        json={"kind": "prolonged_erythema", "severity": "mild", "onset_on": "2026-11-30"},
    )
    assert created.status_code == 201, created.text
    (event,) = clinic.get(f"/patients/{patient_id}/adverse-events", role="clinician").json()
    response = clinic.post(
        f"/adverse-events/{event['id']}/resolve",
        role="clinician",
        json={"resolved_on": 0, "resolution": "settled"},
    )
    assert problem_at(response, "resolved_on") == ENTER_A_DATE


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_date_in_an_implausible_year_is_refused_with_the_years_allowed(
    clinic: Clinic, value: str
) -> None:
    response = clinic.post(
        "/patients",
        json={"given_name": "Ada", "family_name": "Years", "birth_date": value, "fitzpatrick": 2},
    )
    assert problem_at(response, "birth_date") == "Enter a year from 1900 to 2999"


def test_a_moment_in_year_one_is_refused_with_the_years_allowed(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    response = clinic.post(
        f"/patients/{patient_id}/consents",
        json={
            "kind": "treatment",
            "signed_by_name": "the patient",
            "signed_at": "0001-01-01T00:00:00+00:00",
        },
    )
    assert problem_at(response, "signed_at") == "Enter a year from 1900 to 2999"


def test_a_birth_date_after_today_is_refused(clinic: Clinic) -> None:
    # The app's clock says 1 December 2026.
    response = clinic.post(
        "/patients",
        json={
            "given_name": "Ada",
            "family_name": "Later",
            "birth_date": "2026-12-02",
            "fitzpatrick": 2,
        },
    )
    assert problem_at(response, "birth_date") == "is after today"


def test_an_iso_date_and_moment_are_still_taken(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    response = clinic.post(
        f"/patients/{patient_id}/consents",
        json={
            "kind": "treatment",
            "signed_by_name": "the patient",
            "signed_at": "2026-11-30T09:15:00+01:00",
        },
    )
    assert response.status_code == 201, response.text
    (consent,) = clinic.get(f"/patients/{patient_id}/consents").json()
    assert consent["signed_at"].startswith("2026-11-30T08:15:00")


def test_a_date_given_as_a_number_in_a_query_is_refused(clinic: Clinic) -> None:
    response = clinic.get("/appointments", params={"from": "0"})
    assert problem_at(response, "from") == ENTER_A_DATE
