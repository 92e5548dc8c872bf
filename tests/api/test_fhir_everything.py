"""``Patient/{id}/$everything``: one Bundle of the patient's resources, as much as the caller's
role may see, never another clinic's patient."""

from __future__ import annotations

from collections import Counter
from datetime import date

from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import fhir_get, outcome, valid

from microneedling.services import outcomes


def test_everything_gathers_the_patients_resources_as_far_as_the_role_may_see(
    clinic: Clinic,
) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Everything")
    world.chart(session)
    outcomes.record_outcome(
        world.uow, world.clinician, session.patient_id, scale="gais", inputs={"grade": 2},
        assessed_on=date(2026, 11, 30), clock=world.clock,
    )  # fmt: skip
    other = world.patient(family_name="Unrelated")
    world.consent(other)
    path = f"/Patient/{session.patient_id}/$everything"
    everything = valid(fhir_get(clinic, path, "clinician"))
    kinds = Counter(e["resource"]["resourceType"] for e in everything["entry"])
    assert kinds == {
        "Patient": 1, "Appointment": 1, "Procedure": 1, "Consent": 1, "Observation": 1,
        "RiskAssessment": 1,
    }  # fmt: skip
    assert everything["total"] == 6
    for entry in everything["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].endswith(f"/{resource['resourceType']}/{resource['id']}")
        if resource["resourceType"] != "Patient":
            assert str(session.patient_id) in str(resource)
    desk = valid(fhir_get(clinic, path, "front_desk"))
    assert Counter(e["resource"]["resourceType"] for e in desk["entry"]) == {
        "Patient": 1, "Appointment": 1, "Consent": 1, "RiskAssessment": 1,
    }  # fmt: skip


def test_everything_of_another_clinics_patient_is_not_found(clinic: Clinic) -> None:
    theirs = clinic.other.patient()
    assert "not found" in outcome(fhir_get(clinic, f"/Patient/{theirs}/$everything"), 404)
    outcome(fhir_get(clinic, "/Patient/abc/$everything"), 404)
    outcome(fhir_get(clinic, f"/Patient/{theirs}/$everything", None), 401)
    mine = clinic.world.patient()
    outcome(fhir_get(clinic, f"/Patient/{mine}/$everything", _count="5"), 400)
