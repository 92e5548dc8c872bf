"""The plan page and its handout speak staff's and patients' words: no parameter names, no
repository paths, no upper-case codes; the handout printed on the app's today."""

from __future__ import annotations

import html
import re

from tests.web.web_helpers import Clinic, new_patient

from microneedling.services import plans

ACNE = {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]}


def test_the_plan_page_shows_no_parameter_names_paths_or_upper_case_codes(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, ACNE, clock=clinic.clock
    )
    client = clinic.signed_in("clinician")
    page = client.get(f"/plans/{plan_id}")
    assert page.status_code == 200
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.text.split("<main")[1]))
    assert not re.search(r"\b(collagen|cooper|geometry)\.[a-z_]+", text), "a parameter name"
    assert not re.search(r"\b[\w/]+\.md\b|docs/", text), "a repository path"
    assert "professional setting" not in text and "In the clinic" in text
    assert "Penetration efficiency applied to every session's needle depth: 0.5 (assumed)." in text


def test_the_handout_is_printed_on_the_apps_today(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, ACNE, clock=clinic.clock
    )
    client = clinic.signed_in("clinician")
    handout = client.get(f"/plans/{plan_id}/handout.html").text
    assert "printed Tuesday 1 December 2026" in handout
    assert "Web Test Clinic" in handout.split("Call the clinic")[-1]
    pdf = client.get(f"/plans/{plan_id}/handout.pdf")
    assert pdf.content.startswith(b"%PDF")
