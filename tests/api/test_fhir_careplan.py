"""Treatment plans as FHIR CarePlans: an activity per zone of each series, with the zone and its
depth range, the session dates as the timing; clinicians and owners of the clinic only."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import fhir_get, outcome, valid

from microneedling.api.fhir.codes import DEPTH_EXTENSION, ZONE_EXTENSION
from microneedling.services import plans

CHEEKS = {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]}


def _plan(world: Any) -> tuple[int, int]:
    patient_id = world.patient(family_name="Planned")
    world.intake(patient_id)
    return patient_id, plans.create_plan(
        world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock
    )


def test_a_plan_is_a_careplan_with_an_activity_per_zone(clinic: Clinic) -> None:
    patient_id, plan_id = _plan(clinic.world)
    careplan = valid(fhir_get(clinic, f"/CarePlan/{plan_id}", "clinician"))
    assert careplan["status"] == "draft" and careplan["intent"] == "plan"
    assert careplan["subject"]["reference"] == f"Patient/{patient_id}"
    (activity,) = careplan["activity"]
    detail = activity["detail"]
    extensions = {e["url"]: e for e in detail["extension"]}
    zone = extensions[ZONE_EXTENSION]["valueCodeableConcept"]
    assert "60819002" in str(zone)
    depth = extensions[DEPTH_EXTENSION]["valueRange"]
    assert depth["low"]["unit"] == "mm" and depth["low"]["value"] <= depth["high"]["value"]
    assert len(detail["scheduledTiming"]["event"]) == 3
    assert careplan["period"]["start"] == detail["scheduledTiming"]["event"][0]
    assert "acne_scars" in str(detail["reasonCode"])
    found = valid(fhir_get(clinic, "/CarePlan", "owner", patient=f"Patient/{patient_id}"))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(plan_id)]
    assert (
        valid(fhir_get(clinic, "/CarePlan", patient=str(patient_id), status="active"))["total"] == 0
    )
    everything = valid(fhir_get(clinic, f"/Patient/{patient_id}/$everything", "clinician"))
    assert "CarePlan" in {e["resource"]["resourceType"] for e in everything["entry"]}


def test_careplans_are_for_clinicians_and_owners_of_the_clinic_only(clinic: Clinic) -> None:
    _, plan_id = _plan(clinic.world)
    assert "front desk" in outcome(fhir_get(clinic, f"/CarePlan/{plan_id}", "front_desk"), 403)
    assert "front desk" in outcome(fhir_get(clinic, "/CarePlan", "front_desk"), 403)
    theirs_patient, theirs = _plan(clinic.other)
    outcome(fhir_get(clinic, f"/CarePlan/{theirs}", "owner"), 404)
    assert valid(fhir_get(clinic, "/CarePlan", patient=str(theirs_patient)))["total"] == 0
    assert "not one of our plan statuses" in outcome(
        fhir_get(clinic, "/CarePlan", status="on-hold"), 400
    )
