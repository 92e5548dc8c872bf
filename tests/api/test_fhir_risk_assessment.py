"""Screening results as FHIR RiskAssessments: the decision, each finding with its severity,
message and sources, the earliest date of a deferral; all roles, the clinic's own only."""

from __future__ import annotations

from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import fhir_get, outcome, valid

from microneedling.api.fhir.codes import DECISION_SYSTEM, FINDING_SYSTEM


def test_a_deferred_screening_carries_its_decision_findings_and_earliest_date(
    clinic: Clinic,
) -> None:
    patient_id = clinic.world.patient(family_name="Screened")
    intake_id = clinic.world.intake(
        patient_id, medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}]
    )
    risk = valid(fhir_get(clinic, f"/RiskAssessment/{intake_id}", "front_desk"))
    decision, *findings = risk["prediction"]
    assert decision["outcome"]["coding"][0]["system"] == DECISION_SYSTEM
    assert decision["outcome"]["coding"][0]["code"] == "defer"
    assert "start" in decision["whenPeriod"]
    assert findings, "a deferral names its findings"
    assert findings[0]["outcome"]["coding"][0]["system"] == FINDING_SYSTEM
    assert "sources:" in findings[0]["rationale"]
    assert risk["subject"]["reference"] == f"Patient/{patient_id}"
    found = valid(fhir_get(clinic, "/RiskAssessment", "front_desk", patient=str(patient_id)))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(intake_id)]


def test_another_clinics_screening_is_not_found(clinic: Clinic) -> None:
    theirs_patient = clinic.other.patient()
    theirs = clinic.other.intake(theirs_patient)
    outcome(fhir_get(clinic, f"/RiskAssessment/{theirs}", "owner"), 404)
    assert valid(fhir_get(clinic, "/RiskAssessment", patient=str(theirs_patient)))["total"] == 0
    valid(fhir_get(clinic, f"/RiskAssessment/{theirs}", "other_owner"))
