"""FHIR Bulk Data export: the asynchronous kick-off, status and NDJSON files; owners only,
one clinic's records only, every file validated with the R4B models, audited."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from tests.api.conftest import Clinic
from tests.api.test_fhir_more_resources import MODELS
from tests.api.test_fhir_read_search import FHIR, outcome

from microneedling.store import UnitOfWork
from microneedling.store.models import AuditEntry

ASYNC = {"Prefer": "respond-async"}


def kick_off(
    clinic: Clinic, role: str = "owner", path: str = "/$export", **params: Any
) -> httpx.Response:
    return clinic.client.get(FHIR + path, params=params, headers={**clinic.headers(role), **ASYNC})


def finished(clinic: Clinic, location: str, role: str = "owner") -> dict[str, Any]:
    """Poll the status until the manifest comes (as a Bulk Data client does)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = clinic.client.get(location, headers=clinic.headers(role))
        if answer.status_code == 200:
            manifest: dict[str, Any] = answer.json()
            return manifest
        assert answer.status_code == 202, answer.text
        assert answer.headers["X-Progress"]
        time.sleep(0.05)
    raise AssertionError("the export did not finish in a minute")


def lines(clinic: Clinic, url: str) -> list[dict[str, Any]]:
    answer = clinic.client.get(url, headers=clinic.headers("owner"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+ndjson")
    found = [json.loads(line) for line in answer.text.splitlines()]
    for resource in found:
        MODELS[resource["resourceType"]].model_validate(resource)
    return found


def test_an_owner_exports_the_clinics_records_as_ndjson_files(clinic: Clinic) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Exported")
    world.chart(session)
    theirs = clinic.other.ready_session(family_name="Elsewhere")
    started = kick_off(clinic)
    assert started.status_code == 202, started.text
    location = started.headers["Content-Location"]
    assert location.startswith("http://testserver/fhir/R4/$export-status/")
    manifest = finished(clinic, location)
    assert manifest["requiresAccessToken"] is True
    outputs = {item["type"]: item for item in manifest["output"]}
    assert {"Organization", "Practitioner", "Patient", "Appointment", "Procedure", "Consent",
            "Device", "RiskAssessment", "QuestionnaireResponse", "Location"} <= set(outputs)  # fmt: skip
    assert "AuditEvent" not in outputs
    clinic_id = world.owner.clinic_id
    patients = lines(clinic, outputs["Patient"]["url"])
    assert len(patients) == outputs["Patient"]["count"]
    assert str(session.patient_id) in {p["id"] for p in patients}
    assert str(theirs.patient_id) not in {p["id"] for p in patients}
    assert {p["managingOrganization"]["reference"] for p in patients} == {
        f"Organization/{clinic_id}"
    }
    procedures = lines(clinic, outputs["Procedure"]["url"])
    assert [p["subject"]["reference"] for p in procedures] == [f"Patient/{session.patient_id}"]
    (organization,) = lines(clinic, outputs["Organization"]["url"])
    assert organization["id"] == str(clinic_id)
    # Anyone else: another clinic's owner does not find the job; a clinician may not.
    outcome(clinic.client.get(location, headers=clinic.headers("other_owner")), 404)
    outcome(
        clinic.client.get(outputs["Patient"]["url"], headers=clinic.headers("other_owner")), 404
    )
    outcome(clinic.client.get(location, headers=clinic.headers("clinician")), 403)
    assert clinic.client.get(outputs["Patient"]["url"]).status_code == 401
    with UnitOfWork(world.database) as uow:
        actions = [
            json.loads(row.details)
            for row in uow.session.query(AuditEntry).filter(
                AuditEntry.clinic_id == clinic_id, AuditEntry.action == "fhir.export"
            )
        ]
    assert [a.get("step") for a in actions] == [None, "file", "file", "file"]
    deleted = clinic.client.delete(location, headers=clinic.headers("owner"))
    assert deleted.status_code == 202
    outcome(clinic.client.get(location, headers=clinic.headers("owner")), 404)


def test_types_and_the_patient_level_export(clinic: Clinic) -> None:
    clinic.world.ready_session(family_name="Typed")
    manifest = finished(
        clinic, kick_off(clinic, _type="Patient,AuditEvent").headers["Content-Location"]
    )
    assert [item["type"] for item in manifest["output"]] == ["Patient", "AuditEvent"]
    audit = lines(clinic, manifest["output"][1]["url"])
    assert {event["source"]["observer"]["reference"] for event in audit} == {
        f"Organization/{clinic.world.owner.clinic_id}"
    }
    patients = finished(
        clinic, kick_off(clinic, path="/Patient/$export").headers["Content-Location"]
    )
    assert "Organization" not in {item["type"] for item in patients["output"]}
    assert "Patient" in {item["type"] for item in patients["output"]}


def test_a_kick_off_that_cannot_be_done_is_refused(clinic: Clinic) -> None:
    outcome(kick_off(clinic, "front_desk"), 403)
    outcome(kick_off(clinic, "clinician"), 403)
    plain = clinic.client.get(FHIR + "/$export", headers=clinic.headers("owner"))
    assert "respond-async" in outcome(plain, 400)
    assert "_since" in outcome(kick_off(clinic, _since="2026-01-01T00:00:00Z"), 400)
    assert "known:" in outcome(kick_off(clinic, _type="Basic"), 400)
    assert (
        "AuditEvent"
        not in outcome(kick_off(clinic, path="/Patient/$export", _type="AuditEvent"), 400).split(
            "known:"
        )[1]
    )
    assert outcome(kick_off(clinic, _outputFormat="text/csv"), 400)
    assert outcome(kick_off(clinic, _elements="id"), 400)
    outcome(
        clinic.client.get(FHIR + "/$export-status/not-a-job", headers=clinic.headers("owner")), 404
    )
    assert kick_off(clinic, None).status_code == 401
