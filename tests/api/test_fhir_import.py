"""Receiving records in FHIR: POST Patient with the duplicate check (link or refuse), a
transaction Bundle of Patients (all or nothing), a QuestionnaireResponse recorded as an intake
and screened; bad, hostile and oversized input answered with an OperationOutcome and nothing
saved; and the round trip: a clinic exported with $export and imported into a fresh one."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tests.api.conftest import Clinic
from tests.api.test_fhir_export import finished, kick_off, lines
from tests.api.test_fhir_more_resources import MODELS
from tests.api.test_fhir_read_search import FHIR, fhir_get, outcome, valid

from microneedling.api.fhir.codes import FITZPATRICK_EXTENSION, INTAKE_QUESTIONNAIRE

JSON = {"Content-Type": "application/fhir+json"}


def post(
    clinic: Clinic, path: str, body: Any, role: str = "front_desk", **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return clinic.client.post(
        FHIR + path, content=content, headers={**clinic.headers(role), **JSON, **headers}
    )


def patient(family: str, *, email: str | None = "ada@example.org", **more: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": family, "given": ["Ada", "Maria"]}],
        "birthDate": "1985-03-02",
        "gender": "female",
        "extension": [{"url": FITZPATRICK_EXTENSION, "valueInteger": 3}],
        **more,
    }
    if email:
        resource["telecom"] = [{"system": "email", "value": email}]
    return resource


def transaction(*patients: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": p, "request": {"method": "POST", "url": "Patient"}} for p in patients
        ],
    }


def total(clinic: Clinic, role: str = "owner", **params: str) -> int:
    return int(valid(fhir_get(clinic, "/Patient", role, _count="0", **params))["total"])


def test_a_posted_patient_is_registered_or_linked_to_the_same_one(clinic: Clinic) -> None:
    created = post(clinic, "/Patient", patient("Imported"))
    body = valid(created, 201)
    assert created.headers["Location"] == f"http://testserver{FHIR}/Patient/{body['id']}"
    assert body["name"][0]["given"] == ["Ada Maria"]
    assert body["extension"][0]["valueInteger"] == 3
    again = post(clinic, "/Patient", patient("imported", email="ADA@example.org"))
    assert valid(again, 200)["id"] == body["id"]
    assert total(clinic, name="imported") == 1
    other = post(clinic, "/Patient", patient("Imported", email="someone@example.org"))
    message = outcome(other, 409)
    assert f"already patient {body['id']}" in message and "Nothing was saved" in message
    assert outcome(post(clinic, "/Patient", patient("Imported", email=None)), 409)
    assert total(clinic, name="imported") == 1


def test_bad_hostile_and_oversized_patients_are_refused_and_nothing_is_saved(
    clinic: Clinic,
) -> None:
    before = total(clinic)
    no_type = patient("Refused")
    no_type.pop("extension")
    assert FITZPATRICK_EXTENSION in outcome(post(clinic, "/Patient", no_type), 422)
    assert "birthDate" in outcome(post(clinic, "/Patient", patient("R", birthDate="1985")), 422)
    assert outcome(post(clinic, "/Patient", patient("R", birthDate="2999-01-01")), 422)
    assert outcome(post(clinic, "/Patient", patient("R", gender="robot")), 422)
    assert outcome(post(clinic, "/Patient", patient("R", name=[{"family": "R"}])), 422)
    assert outcome(post(clinic, "/Patient", patient("x" * 500)), 422)
    assert outcome(post(clinic, "/Patient", {"resourceType": "Practitioner"}), 422)
    assert outcome(post(clinic, "/Patient", [1, 2]), 422)
    assert "not JSON" in outcome(post(clinic, "/Patient", b"{not json"), 400)
    assert "not JSON" in outcome(post(clinic, "/Patient", b"[" * 100_000), 400)
    # Refused by the API's own limits before the FHIR server: still an OperationOutcome.
    deep = post(clinic, "/Patient", b"[" * 100_000, **{"Content-Type": "application/json"})
    assert outcome(deep, 422)
    assert outcome(post(clinic, "/Patient", b"x" * 300_000), 413)
    plain = {**clinic.headers("owner"), "Content-Type": "text/plain"}
    assert outcome(clinic.client.post(FHIR + "/Patient", content=b"{}", headers=plain), 415)
    assert post(clinic, "/Patient", patient("R"), role=None).status_code == 401  # type: ignore[arg-type]
    assert total(clinic) == before


def test_a_transaction_bundle_is_all_or_nothing(clinic: Clinic) -> None:
    known = valid(post(clinic, "/Patient", patient("Known")), 201)
    answer = valid(
        post(
            clinic, "/", transaction(patient("Bundled"), patient("Known"), patient("Second")),
        )
    )  # fmt: skip
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "200 OK", "201 Created"]
    assert answer["entry"][1]["response"]["location"] == f"Patient/{known['id']}"
    before = total(clinic)
    conflicting = transaction(patient("Third"), patient("Known", email="x@example.org"))
    assert "entry[1]" in outcome(post(clinic, "", conflicting), 409)
    inside = transaction(
        patient("Twice", email="a@example.org"), patient("Twice", email="b@example.org")
    )
    assert "entry[1]" in outcome(post(clinic, "", inside), 409)
    assert "entry[1].resource" in outcome(
        post(clinic, "", transaction(patient("Fourth"), {"resourceType": "Patient"})), 422
    )
    bad_request = transaction(patient("Fifth"))
    bad_request["entry"][0]["request"] = {"method": "DELETE", "url": "Patient/1"}
    assert "only POST Patient" in outcome(post(clinic, "", bad_request), 422)
    assert outcome(post(clinic, "", {**transaction(patient("Sixth")), "type": "batch"}), 422)
    huge = transaction(*[patient(f"Many{n}") for n in range(1001)])
    assert "at most 1,000" in outcome(post(clinic, "", huge), 422)
    assert outcome(post(clinic, "", b"x" * 5_000_001), 413)
    assert total(clinic) == before
    assert total(clinic, name="third") == 0


def intake_response(patient_id: int, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": INTAKE_QUESTIONNAIRE,
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": [
            {"linkId": "on", "answer": [{"valueDate": "2026-11-30"}]},
            {"linkId": "zones", "answer": [{"valueCoding": {"code": "cheeks"}}]},
            {
                "linkId": "medications",
                "item": [
                    {
                        "linkId": "medications.code",
                        "answer": [{"valueCoding": {"code": "isotretinoin"}}],
                    },
                    {"linkId": "medications.stopped_on", "answer": [{"valueDate": "2026-10-01"}]},
                ],
            },
        ],
        **more,
    }


def test_a_questionnaire_response_is_recorded_as_an_intake_and_screened(clinic: Clinic) -> None:
    patient_id = clinic.world.patient(family_name="Answered")
    created = post(clinic, "/QuestionnaireResponse", intake_response(patient_id))
    response = valid(created, 201)
    assert created.headers["Location"].endswith(f"/QuestionnaireResponse/{response['id']}")
    screening = valid(fhir_get(clinic, f"/RiskAssessment/{response['id']}", "front_desk"))
    decision = screening["prediction"][0]["outcome"]["coding"][0]["code"]
    assert decision != "eligible"  # isotretinoin stopped two months ago
    findings = [p["outcome"]["coding"][0]["code"] for p in screening["prediction"][1:]]
    assert any("isotretinoin" in code for code in findings), findings
    found = fhir_get(clinic, "/QuestionnaireResponse", patient=f"Patient/{patient_id}")
    assert valid(found)["total"] == 1
    theirs = clinic.other.patient(family_name="Elsewhere")
    outcome(post(clinic, "/QuestionnaireResponse", intake_response(theirs)), 404)
    for broken, words in (
        (intake_response(patient_id, questionnaire="http://example.org/q"), "questionnaire"),
        (intake_response(patient_id, status="in-progress"), "completed"),
        (intake_response(patient_id, item=[{"linkId": "hack", "answer": []}]), "hack"),
        (intake_response(patient_id, subject={"reference": "Group/1"}), "subject"),
        (
            intake_response(
                patient_id, item=[{"linkId": "on", "answer": [{"valueDate": "2026-13-40"}]}]
            ),
            "not a date",
        ),
        (
            intake_response(
                patient_id,
                item=[{"linkId": "zones", "answer": [{"valueCoding": {"code": "elbow"}}]}],
            ),
            "",
        ),
    ):
        assert words in outcome(post(clinic, "/QuestionnaireResponse", broken), 422)
    assert valid(found)["total"] == 1


def test_a_clinic_exported_and_imported_into_a_fresh_one_has_the_same_patients(
    clinic: Clinic,
) -> None:
    world = clinic.world
    for family, email, phone in (
        ("Roundtrip", "r@example.org", None),
        ("Tripper", None, "+31 6 5555 0000"),
        ("Plain", None, None),
    ):
        world.patient(family_name=family, email=email, phone=phone)
    world.chart(world.ready_session(family_name="Charted"))
    manifest = finished(clinic, kick_off(clinic, _type="Patient").headers["Content-Location"])
    exported = lines(clinic, manifest["output"][0]["url"])
    assert total(clinic, "other_owner") == 0
    answer = valid(post(clinic, "", transaction(*exported), role="other_owner"))
    assert {e["response"]["status"] for e in answer["entry"]} == {"201 Created"}

    def people(role: str) -> list[tuple[Any, ...]]:
        found = valid(fhir_get(clinic, "/Patient", role, _count="100"))
        for entry in found["entry"]:
            MODELS["Patient"].model_validate(entry["resource"])
        return sorted(
            (
                p["name"][0]["family"], tuple(p["name"][0]["given"]), p["birthDate"],
                p.get("gender"), p["extension"][0]["valueInteger"],
                tuple(sorted((t["system"], t["value"]) for t in p.get("telecom", []))),
            )
            for p in (e["resource"] for e in found["entry"])
        )  # fmt: skip

    assert people("owner") == people("other_owner")
    assert len(people("other_owner")) == len(exported)
    # Again: those with a contact detail are linked; one without cannot be told apart from
    # someone else of the same name and birth date, so the whole Bundle is refused.
    reached = [p for p in exported if p.get("telecom")]
    again = valid(post(clinic, "", transaction(*reached), role="other_owner"))
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * len(reached)
    assert outcome(post(clinic, "", transaction(*exported), role="other_owner"), 409)
    assert len(people("other_owner")) == len(exported)
