"""Charting through the API under policy v2 (A.6): refusals named by field, the outside-plan
reason required then kept and flagged, passes, endpoint, glide medium and numbed area returned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import Clinic
from tests.integration.conftest import NOW, Session

from microneedling.services import appointments, plans


def planned(clinic: Clinic) -> Session:
    w = clinic.world
    session = w.ready_session()
    plan_id = plans.create_plan(
        w.uow, w.clinician, session.patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars"}]}, clock=w.clock,
    )  # fmt: skip
    plans.set_plan_status(w.uow, w.clinician, plan_id, "accepted", clock=w.clock)
    appointment_id = appointments.book_appointment(
        w.uow, w.front_desk, session.patient_id, starts_at=NOW - timedelta(hours=5),
        duration_minutes=50, plan_id=plan_id, clock=lambda: NOW - timedelta(days=1),
    )  # fmt: skip
    return Session(session.patient_id, appointment_id, session.device_id, session.lot_number)


def body(session: Session, *zones: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "device_id": session.device_id,
        "cartridge_lot": session.lot_number,
        "needle_count": 12,
        "zones": list(zones),
        "clinical_endpoint": "pinpoint bleeding",
        "duration_minutes": 40,
        **more,
    }


def test_a_chart_outside_the_plan_needs_a_reason_then_is_flagged(clinic: Clinic) -> None:
    session = planned(clinic)
    path = f"/appointments/{session.appointment_id}/chart"
    zone = {"zone": "cheeks", "depth_mm": 1.75, "passes": 4, "endpoint": "pinpoint_bleeding"}
    refused = clinic.post(path, "clinician", json=body(session, zone))
    assert refused.status_code == 409, refused.text
    assert "outside the plan's 1–1.5 mm" in refused.text
    done = clinic.post(
        path,
        "clinician",
        json=body(
            session,
            {**zone, "reason": "deep rolling scars"},
            glide_medium="sterile HA gel",
            numbed_area_cm2=200,
        ),
    )
    assert done.status_code == 201, done.text
    current = done.json()["current"]
    assert current["zones"][0] == {**zone, "reason": "deep rolling scars"}
    assert current["outside_plan"] == {
        "cheeks": "1.75 mm is outside the plan's 1–1.5 mm for the cheeks"
    }
    assert current["glide_medium"] == "sterile HA gel"
    assert current["numbed_area_cm2"] == 200
    assert current["device"]["step_mm"] == 0.25
    record = clinic.get(f"/patients/{session.patient_id}/record", "clinician").json()
    assert record["plans"][0]["knowledge_base"]["version"].startswith("2.")
    assert record["charts"][0]["current"]["outside_plan"]


def test_above_the_cap_or_between_device_steps_is_refused(clinic: Clinic) -> None:
    session = planned(clinic)
    path = f"/appointments/{session.appointment_id}/chart"
    above = clinic.post(
        path, "clinician", json=body(session, {"zone": "cheeks", "depth_mm": 2.5, "passes": 3,
                                               "reason": "x"})
    )  # fmt: skip
    assert above.status_code == 409
    assert "above the zone's cap of 2 mm" in above.text
    between = clinic.post(
        path, "clinician", json=body(session, {"zone": "cheeks", "depth_mm": 1.3, "passes": 3})
    )
    assert between.status_code == 409
    assert "cannot be set to 1.3 mm" in between.text


def test_malformed_policy_v2_fields_are_422(clinic: Clinic) -> None:
    session = planned(clinic)
    path = f"/appointments/{session.appointment_id}/chart"
    zone = {"zone": "cheeks", "depth_mm": 1.0, "passes": 3}
    for bad in (
        body(session, {**zone, "endpoint": "sparkles"}),
        body(session, zone, numbed_area_cm2=-1),
        body(session, zone, numbed_area_cm2="everything"),
        body(session, {**zone, "reason": "x" * 20_000}),
        body(session, zone, glide_medium=["gel"]),
    ):
        response = clinic.post(path, "clinician", json=bad)
        assert response.status_code == 422, response.text


def test_a_device_is_registered_with_its_settings(clinic: Clinic) -> None:
    created = clinic.post(
        "/devices", "owner",
        json={"kind": "pen", "manufacturer": "Acme", "model": "Fine", "serial_number": "F-1",
              "lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    devices = {d["serial_number"]: d for d in clinic.get("/devices", "owner").json()}
    assert devices["F-1"]["step_mm"] == 0.1
    refused = clinic.post(
        "/devices", "owner",
        json={"kind": "pen", "manufacturer": "Acme", "model": "X", "serial_number": "F-2",
              "step_mm": 0.01},
    )  # fmt: skip
    assert refused.status_code == 422
