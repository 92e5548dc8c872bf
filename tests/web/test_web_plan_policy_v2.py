"""The staff plan pages under policy version 2: device and settings, screened zones, area and
technique per zone, numbing, glide medium, and the full effect apart from the total-collagen
peak; the builder refuses a zone the screening did not cover."""

from __future__ import annotations

import html
import re

from tests.web.web_helpers import Clinic, new_patient, token

from microneedling.services import plans

BURNS = {"treatments": [{"zone": "cheeks", "concern": "burn_scars"}]}


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main")[1])).split())


def test_the_plan_page_shows_device_area_technique_and_full_effect(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)  # screened for the cheeks
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, BURNS, clock=clinic.clock
    )
    client = clinic.signed_in("clinician")
    text = words(client.get(f"/plans/{plan_id}").text)
    assert "Device: Default pen (settings 0.25–2.5 mm in 0.25 mm steps)" in text
    assert "Screened zones: Cheeks" in text
    assert "1.5–2.0 1.5 200 Pinpoint bleeding; 3–6 passes in crossing directions" in text
    assert "Treated area: 200 cm² in total" in text
    assert "topical anaesthetic for about 30 minutes on 200 cm² (cheeks)" in text
    assert "Sterile hyaluronic acid gel" in text
    assert "Full effect (mature collagen, type I, at its peak in the model)" in text
    assert "not the full effect" in text
    handout = client.get(f"/plans/{plan_id}/handout.html").text
    assert "Your treatment" in handout and "200 cm²" in handout


def test_the_builder_refuses_a_zone_the_screening_did_not_cover(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)  # screened for the cheeks only
    client = clinic.signed_in("clinician")
    path = f"/patients/{patient_id}/plans/new"
    page = client.get(path)
    assert "Screened zones: Cheeks" in words(page.text)
    data = {
        "csrf_token": token(client, path),
        "treat": ["neck"],
        "concern.neck": "skin_laxity",
        "setting": "professional",
    }
    created = client.post(path, data=data)
    assert created.status_code == 422
    assert "neck was not screened: screen again including it" in html.unescape(created.text)
    preview = client.post(
        f"/patients/{patient_id}/plans/preview",
        data={**data, "fitzpatrick": "2", "decision": "eligible"},
        headers={"HX-Request": "true"},
    )
    assert "neck was not screened" in html.unescape(preview.text)
