"""The FHIR R4 interface (/fhir/R4): every resource it gives validates against the R4B models
of ``fhir.resources``, searches page with Bundles that are well formed, and roles and clinics
are kept apart exactly as in the JSON API. On SQLite and PostgreSQL (tests/api/conftest.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.riskassessment import RiskAssessment
from tests.api.conftest import Clinic
from tests.integration.conftest import NOW

from microneedling.store import UnitOfWork
from microneedling.store.models import AuditEntry

FHIR = "/fhir/R4"
MODELS: dict[str, Any] = {
    "Patient": Patient,
    "Practitioner": Practitioner,
    "Organization": Organization,
    "Appointment": Appointment,
    "Device": Device,
    "Procedure": Procedure,
    "Consent": Consent,
    "Observation": Observation,
    "CarePlan": CarePlan,
    "RiskAssessment": RiskAssessment,
    "Bundle": Bundle,
    "OperationOutcome": OperationOutcome,
    "CapabilityStatement": CapabilityStatement,
}


def fhir_get(
    clinic: Clinic, path: str, role: str | None = "owner", **params: Any
) -> httpx.Response:
    return clinic.client.get(FHIR + path, headers=clinic.headers(role), params=params)


def valid(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The answer's resource, checked: the status, the media type, and the R4B model of its
    type (and of every resource in a Bundle)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = answer.json()
    MODELS[body["resourceType"]].model_validate(body)
    for entry in body.get("entry", []):
        if "resource" in entry:  # a transaction-response's entries have none
            MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return body


def outcome(answer: httpx.Response, status: int) -> str:
    body = valid(answer, status)
    assert body["resourceType"] == "OperationOutcome"
    issue = body["issue"][0]
    assert issue["severity"] == "error"
    return str(issue["diagnostics"])


def test_the_capability_statement_lists_only_what_is_implemented(clinic: Clinic) -> None:
    statement = valid(fhir_get(clinic, "/metadata", role=None))
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {
        "Patient",
        "Practitioner",
        "Organization",
        "Appointment",
        "Procedure",
        "Device",
        "Consent",
        "Observation",
        "CarePlan",
        "RiskAssessment",
        "PractitionerRole",
        "Location",
        "AdverseEvent",
        "Media",
        "AuditEvent",
        "Questionnaire",
        "QuestionnaireResponse",
        "Schedule",
        "Slot",
    }
    for resource in resources.values():
        reads = [i["code"] for i in resource["interaction"]][:2]
        assert reads == (["search-type"] if resource["type"] == "Slot" else ["read", "search-type"])
    assert {p["name"] for p in resources["Patient"]["searchParam"]} == {
        "_id", "name", "birthdate", "identifier", "telecom",
    }  # fmt: skip
    assert "https://microneedling.dev/fhir/CodeSystem/" in statement["rest"][0]["documentation"]


def test_a_patient_reads_as_a_fhir_patient_with_name_birth_date_identifier_and_telecom(
    clinic: Clinic,
) -> None:
    patient_id = clinic.world.patient(
        given_name="Zoë", family_name="Fhirson", email="zoe@example.org", phone="+31 6 1234 5678"
    )
    for role in ("owner", "clinician", "front_desk"):
        patient = valid(fhir_get(clinic, f"/Patient/{patient_id}", role))
        assert patient["id"] == str(patient_id)
        assert patient["name"][0]["family"] == "Fhirson"
        assert patient["name"][0]["given"] == ["Zoë"]
        assert patient["birthDate"] == "1990-05-17"
        assert patient["gender"] == "female"
        assert {t["system"] for t in patient["telecom"]} == {"phone", "email"}
        assert patient["identifier"][0]["value"] == str(patient_id)
        assert patient["managingOrganization"]["reference"] == (
            f"Organization/{clinic.world.owner.clinic_id}"
        )


def test_reading_and_searching_patients_is_audited(clinic: Clinic) -> None:
    patient_id = clinic.world.patient(family_name="Audited")
    valid(fhir_get(clinic, f"/Patient/{patient_id}", "front_desk"))
    valid(fhir_get(clinic, "/Patient", "front_desk", name="audited"))
    with UnitOfWork(clinic.world.database) as uow:
        rows = (
            uow.session.query(AuditEntry)
            .filter(AuditEntry.clinic_id == clinic.world.owner.clinic_id)
            .order_by(AuditEntry.sequence.desc())
            .limit(2)
            .all()
        )
        search, read = ((row.action, row.patient_id, str(row.details)) for row in rows)
    assert read[:2] == ("patient.read", patient_id)
    assert search[0] == "patient.search"
    assert "udited" not in search[2]


def test_patient_search_pages_with_next_links_and_a_total(clinic: Clinic) -> None:
    ids = [clinic.world.patient(family_name=f"Pager{n}", given_name="Paula") for n in range(5)]
    first = valid(fhir_get(clinic, "/Patient", name="paula", _count="2"))
    assert first["type"] == "searchset" and first["total"] == 5
    seen = []
    page = first
    while True:
        for entry in page["entry"]:
            resource = entry["resource"]
            assert entry["fullUrl"] == f"http://testserver{FHIR}/Patient/{resource['id']}"
            seen.append(int(resource["id"]))
        links = {link["relation"]: link["url"] for link in page["link"]}
        assert links["self"].startswith(f"http://testserver{FHIR}/Patient?")
        if "next" not in links:
            break
        page = valid(clinic.client.get(links["next"], headers=clinic.headers("owner")))
    assert sorted(seen) == sorted(ids)
    assert valid(fhir_get(clinic, "/Patient", name="paula", _count="0"))["entry"] == []


def test_patient_search_by_birthdate_identifier_and_telecom(clinic: Clinic) -> None:
    found = clinic.world.patient(
        family_name="Searchable", birth_date="1977-07-07", email="s@example.org", phone="0612345678"
    )
    clinic.world.patient(family_name="Other", birth_date="1980-01-01")

    def ids(**params: Any) -> list[str]:
        return [e["resource"]["id"] for e in valid(fhir_get(clinic, "/Patient", **params))["entry"]]

    assert ids(birthdate="1977-07-07") == [str(found)]
    assert str(found) not in ids(birthdate="gt1977-07-07")
    assert ids(identifier=str(found)) == [str(found)]
    assert ids(telecom="s@example.org") == [str(found)]
    assert ids(telecom="612345678") == [str(found)]
    assert ids(name="searchable") == [str(found)]
    assert ids(_id=str(found)) == [str(found)]


def test_another_clinics_patient_is_not_found_and_never_in_a_search(clinic: Clinic) -> None:
    theirs = clinic.other.patient(family_name="Elsewhere")
    for role in ("owner", "clinician", "front_desk"):
        assert "not found" in outcome(fhir_get(clinic, f"/Patient/{theirs}", role), 404)
    assert valid(fhir_get(clinic, "/Patient", name="elsewhere"))["total"] == 0
    assert valid(fhir_get(clinic, "/Patient", _id=str(theirs)))["total"] == 0
    assert valid(fhir_get(clinic, "/Patient", identifier=str(theirs)))["total"] == 0
    # Their owner sees them.
    valid(fhir_get(clinic, f"/Patient/{theirs}", "other_owner"))


def test_practitioners_and_the_organization_are_the_clinics_own(clinic: Clinic) -> None:
    clinician = clinic.world.clinician.staff_user_id
    practitioner = valid(fhir_get(clinic, f"/Practitioner/{clinician}", "front_desk"))
    assert practitioner["name"][0]["text"] == "clinician"
    assert "telecom" not in practitioner  # never the sign-in e-mail
    found = valid(fhir_get(clinic, "/Practitioner", name="clinician2"))
    assert [e["resource"]["id"] for e in found["entry"]] == [
        str(clinic.world.clinician2.staff_user_id)
    ]
    theirs = clinic.other.clinician.staff_user_id
    outcome(fhir_get(clinic, f"/Practitioner/{theirs}"), 404)
    clinic_id = clinic.world.owner.clinic_id
    organization = valid(fhir_get(clinic, f"/Organization/{clinic_id}", "front_desk"))
    assert organization["name"].startswith("Clinic ")
    assert valid(fhir_get(clinic, "/Organization"))["total"] == 1
    outcome(fhir_get(clinic, f"/Organization/{clinic.other.owner.clinic_id}"), 404)


def test_appointments_by_patient_date_status_and_practitioner(clinic: Clinic) -> None:
    patient_id = clinic.world.patient(family_name="Booked")
    appointment_id = clinic.world.appointment(patient_id, starts_at=NOW + timedelta(days=2))
    appointment = valid(fhir_get(clinic, f"/Appointment/{appointment_id}", "front_desk"))
    assert appointment["status"] == "booked"
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors[0] == f"Patient/{patient_id}"
    assert actors[1].startswith("Practitioner/")
    day = (NOW + timedelta(days=2)).date().isoformat()

    def ids(**params: Any) -> list[str]:
        body = valid(fhir_get(clinic, "/Appointment", "front_desk", **params))
        return [e["resource"]["id"] for e in body["entry"]]

    assert ids(patient=f"Patient/{patient_id}") == [str(appointment_id)]
    assert ids(patient=str(patient_id), date=day, status="booked") == [str(appointment_id)]
    assert ids(patient=str(patient_id), status="cancelled,noshow") == []
    assert ids(patient=str(patient_id), date=f"lt{day}") == []
    assert ids(patient=str(patient_id), practitioner=actors[1]) == [str(appointment_id)]
    theirs = clinic.other.appointment(clinic.other.patient())
    outcome(fhir_get(clinic, f"/Appointment/{theirs}"), 404)


def test_cartridge_lots_are_devices_for_clinicians_and_owners_only(clinic: Clinic) -> None:
    number = clinic.world.lot()
    found = valid(fhir_get(clinic, "/Device", "clinician", **{"lot-number": number}))
    assert found["total"] == 1
    device = found["entry"][0]["resource"]
    assert device["lotNumber"] == number and device["status"] == "active"
    assert device["expirationDate"] == "2027-06-30"
    assert device["id"].startswith("lot-")
    valid(fhir_get(clinic, f"/Device/{device['id']}", "owner"))
    assert "front desk" in outcome(fhir_get(clinic, f"/Device/{device['id']}", "front_desk"), 403)
    outcome(fhir_get(clinic, "/Device", "front_desk"), 403)
    theirs = clinic.other.lot()
    mine = valid(fhir_get(clinic, "/Device", "owner", **{"lot-number": theirs}))
    assert mine["total"] == 0
    outcome(fhir_get(clinic, f"/Device/{device['id'].replace('lot-', '')}"), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/Patient",
        "/Patient/1",
        "/Practitioner",
        "/Practitioner/1",
        "/Organization",
        "/Organization/1",
        "/Appointment",
        "/Appointment/1",
        "/Procedure",
        "/Procedure/1",
        "/Device",
        "/Device/lot-1",
        "/Consent",
        "/Consent/1",
        "/Observation",
        "/Observation/1",
        "/CarePlan",
        "/CarePlan/1",
        "/RiskAssessment",
        "/RiskAssessment/1",
    ],
)
def test_every_fhir_route_but_metadata_needs_a_bearer_token(clinic: Clinic, path: str) -> None:
    answer = fhir_get(clinic, path, role=None)
    assert "sign in" in outcome(answer, 401)
    assert answer.headers["www-authenticate"] == "Bearer"
    bad = clinic.client.get(FHIR + path, headers={"Authorization": "Bearer nonsense"})
    outcome(bad, 401)


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/Patient", {"_count": "100000000"}, 400, "at most 100"),
        ("/Patient", {"_count": "-1"}, 400, "whole number"),
        ("/Patient", {"_offset": "x"}, 400, "whole number"),
        ("/Patient", {"colour": "blue"}, 400, "not a search parameter"),
        ("/Patient", {"birthdate": "yesterday"}, 400, "YYYY-MM-DD"),
        ("/Patient", {"birthdate": "1990-02-31"}, 400, "not a date"),
        ("/Patient", {"birthdate": "sa1990-02-01"}, 400, "not supported"),
        ("/Patient", {"name": "x" * 201}, 400, "at most 200"),
        ("/Patient", {"name": ""}, 400, "give a value"),
        ("/Patient", {"_format": "xml"}, 400, "JSON only"),
        ("/Appointment", {"patient": "Practitioner/1"}, 400, "Patient/<id>"),
        ("/Appointment", {"status": "pending"}, 400, "not one of our statuses"),
        ("/Patient/abc", {}, 404, "not found"),
        ("/Patient/0", {}, 404, "not found"),
        ("/Patient/99999999999999999999", {}, 404, "not found"),
        ("/Patient/1%27%20OR%201=1", {}, 404, "not found"),
        ("/MedicationRequest", {}, 404, "no resource type"),
        ("/Patient/1/_history", {}, 404, "no such FHIR endpoint"),
        ("/../api/v1/patients", {}, 404, ""),
    ],
)
def test_hostile_and_malformed_requests_get_an_operation_outcome(
    clinic: Clinic, path: str, params: dict[str, str], status: int, words: str
) -> None:
    answer = fhir_get(clinic, path, **params)
    if path.startswith("/.."):
        assert answer.status_code == 404  # normalised by the client or refused: never data
        return
    assert words in outcome(answer, status)


def test_unknown_paths_under_fhir_and_other_methods_are_operation_outcomes(
    clinic: Clinic,
) -> None:
    headers = clinic.headers("owner")
    outcome(clinic.client.get("/fhir/nothing", headers=headers), 404)
    outcome(clinic.client.get("/fhir/R5/Patient", headers=headers), 404)
    outcome(clinic.client.post(FHIR + "/Appointment", headers=headers, json={}), 405)
    outcome(clinic.client.put(FHIR + "/Patient/1", headers=headers, json={}), 405)
    outcome(clinic.client.delete(FHIR + "/Patient/1", headers=headers), 405)


def test_too_many_parameters_are_refused(clinic: Clinic) -> None:
    params = [("name", f"n{n}") for n in range(21)]
    answer = clinic.client.get(FHIR + "/Patient", headers=clinic.headers("owner"), params=params)
    assert "at most 20" in outcome(answer, 400)


def test_prefer_lenient_handling_leaves_unknown_parameters_out_of_the_search_and_its_link(
    clinic: Clinic,
) -> None:
    patient_id = clinic.world.patient(family_name="Lenient")
    answer = clinic.client.get(
        FHIR + "/Patient",
        params={"name": "lenient", "colour": "blue", "_total": "accurate"},
        headers={**clinic.headers("owner"), "Prefer": "handling=lenient"},
    )
    found = valid(answer)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(patient_id)]
    assert "colour" not in found["link"][0]["url"]
    assert "name=lenient" in found["link"][0]["url"]
