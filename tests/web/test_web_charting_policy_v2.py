"""The chart pages under policy v2 (A.6): a depth the device cannot make is named beside its
field; a zone outside the plan asks for the reason, then the patient's record shows it flagged
with the endpoint, glide medium and numbed area, and which policy the screening and plan used."""

from __future__ import annotations

from datetime import timedelta

from tests.web.web_helpers import (
    Clinic,
    all_day_calendar,
    chart_form,
    error_summary,
    new_patient,
)

from microneedling.services import appointments, plans
from microneedling.services.clock import fixed_clock


def planned_appointment(clinic: Clinic, patient_id: int) -> int:
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars"}]}, clock=clinic.clock,
    )  # fmt: skip
    plans.set_plan_status(clinic.uow(), clinic.clinician, plan_id, "accepted", clock=clinic.clock)
    all_day_calendar(clinic)
    start = (clinic.clock() - timedelta(hours=7)).replace(second=0, microsecond=0, minute=0)
    return appointments.book_appointment(
        clinic.uow(), clinic.front_desk, patient_id, starts_at=start, duration_minutes=50,
        plan_id=plan_id, practitioner_id=clinic.clinician.staff_user_id,
        clock=fixed_clock(start - timedelta(days=1)),
    )  # fmt: skip


def test_outside_the_plan_a_reason_is_asked_then_the_record_flags_it(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_id = planned_appointment(clinic, patient_id)
    client = clinic.signed_in("clinician")
    path = f"/appointments/{appointment_id}/chart"
    page = client.get(path)
    assert page.status_code == 200
    assert "Endpoint reached" in page.text and "Glide medium" in page.text
    fields = {
        "zone.0.depth_mm": "1.75",
        "zone.0.endpoint": "pinpoint_bleeding",
        "glide_medium": "sterile HA gel",
        "numbed_area_cm2": "200",
    }
    asked = client.post(path, data=chart_form(clinic, page.text, **fields))
    assert asked.status_code == 422
    summary = " ".join(error_summary(asked.text))
    assert "Zone 1: reason (outside the plan)" in summary
    assert "outside the plan&#39;s 1–1.5 mm for the cheeks" in summary
    assert 'value="sterile HA gel"' in asked.text
    done = client.post(
        path, data=chart_form(clinic, page.text, **fields, **{"zone.0.reason": "deep scars"})
    )
    assert done.url.path == f"/appointments/{appointment_id}", error_summary(done.text)
    record = client.get(f"/patients/{patient_id}").text
    assert "outside the plan" in record
    assert "deep scars" in record
    assert "pinpoint bleeding" in record
    assert "glide sterile HA gel" in record
    assert "numbed 200 cm²" in record
    assert "policy 2 (knowledge base 2." in record
    session = client.get(f"/appointments/{appointment_id}").text
    assert "1.75 mm × " in session and "pinpoint bleeding" in session
    assert "outside the plan</span> “deep scars”" in session
    assert "sterile HA gel" in session and "over 200 cm²" in session


def test_a_depth_the_device_cannot_make_is_named_beside_its_field(clinic: Clinic) -> None:
    from tests.web.web_helpers import appointment_now

    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("clinician")
    path = f"/appointments/{appointment_id}/chart"
    page = client.get(path)
    refused = client.post(path, data=chart_form(clinic, page.text, **{"zone.0.depth_mm": "1.1"}))
    assert refused.status_code == 422
    summary = " ".join(error_summary(refused.text))
    assert "Zone 1: depth in mm" in summary
    assert "cannot be set to 1.1 mm" in summary
    bad = client.post(
        path,
        data=chart_form(
            clinic, page.text, **{"zone.0.endpoint": "sparkles", "numbed_area_cm2": "-4"}
        ),
    )
    assert bad.status_code == 422
    summary = " ".join(error_summary(bad.text))
    assert "Zone 1: endpoint reached" in summary
    assert "Area numbed in cm²" in summary
