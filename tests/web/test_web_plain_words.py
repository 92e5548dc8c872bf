"""Pages name records by what they are and when, never by their database ids."""

from __future__ import annotations

from tests.web.web_helpers import Clinic, new_patient

from microneedling.services import intakes


def test_the_record_names_a_screening_by_its_day_not_its_number(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Wim", family_name="Woorden")
    intake_id = intakes.list_intakes(clinic.uow(), clinic.front_desk, patient_id)[0]["id"]
    page = clinic.signed_in("front_desk").get(f"/patients/{patient_id}")
    assert page.status_code == 200
    assert f">Screening {intake_id}<" not in page.text
    assert f'<a href="/intakes/{intake_id}">Screening of ' in page.text
