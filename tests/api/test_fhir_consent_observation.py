"""Consents and outcome scores as FHIR: a Consent with its scope, the signed text attached and
its withdrawal; an Observation with the scale as the code, the inputs as components and the band
as the interpretation. Roles and clinics as in the JSON API."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import fhir_get, outcome, valid

from microneedling.api.fhir.codes import SCALE_SYSTEM
from microneedling.services import consents, outcomes


def test_a_signed_consent_carries_its_scope_the_text_and_its_withdrawal(clinic: Clinic) -> None:
    world = clinic.world
    patient_id = world.patient(family_name="Consenting")
    treatment = world.consent(patient_id)
    photos = world.consent(patient_id, kind="marketing_photos")
    consents.withdraw_consent(world.uow, world.front_desk, photos, clock=_later)
    found = valid(fhir_get(clinic, "/Consent", "front_desk", patient=f"Patient/{patient_id}"))
    assert found["total"] == 2
    by_id = {e["resource"]["id"]: e["resource"] for e in found["entry"]}
    signed = by_id[str(treatment)]
    assert signed["status"] == "active"
    assert signed["scope"]["coding"][0]["code"] == "treatment"
    text = base64.b64decode(signed["sourceAttachment"]["data"]).decode()
    assert len(text) > 20
    withdrawn = by_id[str(photos)]
    assert withdrawn["status"] == "inactive"
    assert withdrawn["scope"]["coding"][0]["code"] == "patient-privacy"
    assert "end" in withdrawn["provision"]["period"]
    active = valid(
        fhir_get(clinic, "/Consent", "front_desk", patient=str(patient_id), status="active")
    )
    assert [e["resource"]["id"] for e in active["entry"]] == [str(treatment)]
    valid(fhir_get(clinic, f"/Consent/{treatment}", "clinician"))
    theirs_patient = clinic.other.patient()
    theirs = clinic.other.consent(theirs_patient)
    outcome(fhir_get(clinic, f"/Consent/{theirs}", "owner"), 404)
    assert valid(fhir_get(clinic, "/Consent", patient=str(theirs_patient)))["total"] == 0


def _later() -> Any:
    from tests.integration.conftest import NOW

    return NOW + timedelta(minutes=5)


def _score(clinic: Clinic, patient_id: int, scale: str, inputs: dict[str, Any], day: date) -> int:
    return outcomes.record_outcome(
        clinic.world.uow,
        clinic.world.clinician,
        patient_id,
        scale=scale,
        inputs=inputs,
        assessed_on=day,
        clock=clinic.world.clock,
    )


def test_an_outcome_score_is_an_observation_with_components_and_interpretation(
    clinic: Clinic,
) -> None:
    patient_id = clinic.world.patient(family_name="Scored")
    vss = _score(
        clinic,
        patient_id,
        "vss",
        {"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1},
        date(2026, 11, 30),
    )
    gais = _score(clinic, patient_id, "gais", {"grade": 2}, date(2026, 12, 1))
    observation = valid(fhir_get(clinic, f"/Observation/{vss}", "clinician"))
    assert observation["code"]["coding"][0] == {
        "system": SCALE_SYSTEM,
        "code": "vss",
        "display": "Vancouver Scar Scale",
    }
    assert observation["valueInteger"] == 5
    assert observation["effectiveDateTime"] == "2026-11-30"
    assert {c["code"]["text"] for c in observation["component"]} == {
        "vascularity", "pigmentation", "pliability", "height",
    }  # fmt: skip
    assert observation["performer"][0]["reference"] == (
        f"Practitioner/{clinic.world.clinician.staff_user_id}"
    )

    def ids(**params: Any) -> list[str]:
        body = valid(fhir_get(clinic, "/Observation", "owner", patient=str(patient_id), **params))
        return [e["resource"]["id"] for e in body["entry"]]

    assert ids() == [str(vss), str(gais)]
    assert ids(code="gais") == [str(gais)]
    assert ids(code=f"{SCALE_SYSTEM}|vss") == [str(vss)]
    assert ids(code="http://loinc.org|vss") == []
    assert ids(date="ge2026-12-01") == [str(gais)]


def test_outcomes_are_for_clinicians_and_owners_of_the_clinic_only(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    mine = _score(clinic, patient_id, "gais", {"grade": 1}, date(2026, 11, 1))
    assert "front desk" in outcome(fhir_get(clinic, f"/Observation/{mine}", "front_desk"), 403)
    assert "front desk" in outcome(fhir_get(clinic, "/Observation", "front_desk"), 403)
    theirs_patient = clinic.other.patient()
    theirs = outcomes.record_outcome(
        clinic.other.uow,
        clinic.other.clinician,
        theirs_patient,
        scale="gais",
        inputs={"grade": 1},
        clock=clinic.other.clock,
    )
    outcome(fhir_get(clinic, f"/Observation/{theirs}", "owner"), 404)
    assert valid(fhir_get(clinic, "/Observation", patient=str(theirs_patient)))["total"] == 0
