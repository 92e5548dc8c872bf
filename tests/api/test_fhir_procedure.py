"""Charted sessions as FHIR Procedures: a body site per zone (SNOMED CT where we have the code,
ours always), depths and passes, the cartridge lot as the focal Device; only clinicians and
owners, only the clinic's own; an amendment supersedes the version it corrects."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import fhir_get, outcome, valid

from microneedling.api.fhir.codes import PROCEDURE_SYSTEM, SNOMED, ZONE_SYSTEM
from microneedling.services import charts


def test_a_charted_session_is_a_procedure_with_a_body_site_per_zone(clinic: Clinic) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Charted")
    chart_id = world.chart(
        session,
        zones=[
            {"zone": "cheeks", "depth_mm": 1.0, "passes": 3},
            {"zone": "forehead", "depth_mm": 0.5, "passes": 2},
        ],
    )
    procedure = valid(fhir_get(clinic, f"/Procedure/{chart_id}", "clinician"))
    assert procedure["status"] == "completed"
    assert procedure["code"]["coding"][0]["system"] == PROCEDURE_SYSTEM
    assert procedure["subject"]["reference"] == f"Patient/{session.patient_id}"
    cheeks, forehead = procedure["bodySite"]
    assert {"system": SNOMED, "code": "60819002", "display": "Buccal region of face"} in (
        cheeks["coding"]
    )
    assert cheeks["coding"][0] == {"system": ZONE_SYSTEM, "code": "cheeks", "display": "Cheeks"}
    assert [c["system"] for c in forehead["coding"]] == [ZONE_SYSTEM]  # no verified SNOMED code
    assert "Cheeks: 1 mm, 3 passes; Forehead: 0.5 mm, 2 passes" in procedure["note"][0]["text"]
    lot = procedure["focalDevice"][0]["manipulated"]["reference"]
    device = valid(fhir_get(clinic, f"/{lot}", "clinician"))
    assert device["lotNumber"] == session.lot_number
    performer = procedure["performer"][0]["actor"]["reference"]
    valid(fhir_get(clinic, f"/{performer}", "clinician"))


def test_procedures_are_for_clinicians_and_owners_of_the_clinic_only(clinic: Clinic) -> None:
    chart_id = clinic.world.chart(clinic.world.ready_session())
    valid(fhir_get(clinic, f"/Procedure/{chart_id}", "owner"))
    assert "front desk" in outcome(fhir_get(clinic, f"/Procedure/{chart_id}", "front_desk"), 403)
    assert "front desk" in outcome(fhir_get(clinic, "/Procedure", "front_desk"), 403)
    theirs = clinic.other.chart(clinic.other.ready_session())
    outcome(fhir_get(clinic, f"/Procedure/{theirs}", "clinician"), 404)
    outcome(fhir_get(clinic, f"/Procedure/{theirs}", "owner"), 404)
    assert valid(fhir_get(clinic, "/Procedure", "owner", _id=str(theirs)))["total"] == 0
    valid(fhir_get(clinic, f"/Procedure/{theirs}", "other_owner"))


def test_a_search_finds_the_current_chart_and_the_amended_one_stays_readable(
    clinic: Clinic,
) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Amended")
    first = world.chart(session)
    second = charts.amend_chart(
        world.uow,
        world.clinician,
        session.appointment_id,
        changes={"needle_count": 36},
        reason="wrong needle count",
        clock=world.clock,
    )

    def ids(**params: Any) -> list[str]:
        body = valid(fhir_get(clinic, "/Procedure", "clinician", **params))
        return [e["resource"]["id"] for e in body["entry"]]

    assert ids(patient=f"Patient/{session.patient_id}") == [str(second)]
    day = world.clock().date().isoformat()
    assert ids(patient=str(session.patient_id), date=f"le{day}") == [str(second)]
    assert ids(patient=str(session.patient_id), date=f"gt{day}") == []
    old = valid(fhir_get(clinic, f"/Procedure/{first}", "clinician"))
    assert f"Superseded by the amendment Procedure/{second}" in str(old["note"])
    new = valid(fhir_get(clinic, f"/Procedure/{second}", "clinician"))
    assert f"Amends Procedure/{first}: wrong needle count" in str(new["note"])
