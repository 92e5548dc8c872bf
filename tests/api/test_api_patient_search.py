"""`GET /patients?q=` finds patients as staff type them; `POST /patients` refuses a second
registration of the same person unless it is confirmed."""

from __future__ import annotations

from fastapi.openapi.utils import get_openapi
from tests.api.conftest import Clinic

from microneedling.api.routes import patients as patient_routes

SARA = {"given_name": "Sara", "family_name": "Smits", "birth_date": "1988-03-14",
        "fitzpatrick": 3, "phone": "+31 6-1234 5678", "email": "sara@example.org"}  # fmt: skip


def test_a_patient_is_found_by_name_words_phone_email_or_birth_date(clinic: Clinic) -> None:
    created = clinic.post("/patients", json=SARA, role="front_desk")
    assert created.status_code == 201, created.text
    for typed in ("Sara Smit", "smits sara", "06 1234 5678", "SARA@example", "14/03/1988"):
        found = clinic.get("/patients", params={"q": typed}, role="front_desk").json()["items"]
        assert [item["id"] for item in found] == [created.json()["id"]], typed


def test_registering_the_same_name_and_birth_date_twice_is_a_conflict_naming_the_record(
    clinic: Clinic,
) -> None:
    first = clinic.post("/patients", json=SARA, role="front_desk").json()["id"]
    again = clinic.post(
        "/patients", json={**SARA, "given_name": "SARA", "phone": None}, role="front_desk"
    )
    assert again.status_code == 409
    body = again.json()
    assert body["error"] == "conflict"
    assert (
        f"Sara Smits, born 14 Mar 1988, is already registered (patient {first})"
        in (body["message"])
    )
    assert [field["path"] for field in body["fields"]] == ["confirm_duplicate"]

    confirmed = clinic.post(
        "/patients", json={**SARA, "confirm_duplicate": True}, role="front_desk"
    )
    assert confirmed.status_code == 201
    assert confirmed.json()["id"] != first


def test_the_openapi_schema_documents_the_confirmation_and_the_conflict() -> None:
    schema = get_openapi(title="t", version="1", routes=patient_routes.router.routes)
    register = schema["paths"]["/patients"]["post"]
    assert "confirm_duplicate" in register["description"]
    assert "409" in register["responses"]
    properties = schema["components"]["schemas"]["NewPatient"]["properties"]
    assert properties["confirm_duplicate"]["default"] is False
