"""The staff intake form under clinical policy version 2: every new code is offered with a plain
label and its follow-up questions; the result page shows the zones screened, the Fitzpatrick type
and the policy version."""

from __future__ import annotations

import re

import pytest
from tests.web.web_helpers import TODAY, Clinic, error_summary, new_patient, token

NEW_CODES = {
    "vitiligo_active": "Active vitiligo",
    "lichen_planus_active": "Active lichen planus",
    "rosacea_active": "Active rosacea",
    "pigmented_lesion_unassessed": "Unassessed mole or pigmented lesion",
    "tattoo": "Tattoo or permanent make-up",
    "hypertrophic_scar_history": "History of raised (hypertrophic) scars",
    "pih_history": "History of post-inflammatory hyperpigmentation",
    "bloodborne_infection": "Blood-borne infection",
    "methemoglobinemia": "Methaemoglobinaemia",
    "liver_disease_severe": "Severe liver disease",
    "antiarrhythmic": "Class III antiarrhythmic drug",
    "photosensitising_drug": "Drug that makes the skin sun-sensitive",
    "nickel_allergy": "Nickel allergy",
    "radiotherapy": "Radiotherapy",
    "laser_or_light": "Laser or light treatment",
    "ablative_resurfacing": "Ablative resurfacing",
    "tanning": "Tanning",
    "hair_removal": "Hair removal",
    "permanent_implant": "Permanent implant",
}


def test_the_form_offers_every_new_code_with_a_plain_label(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/patients/{patient_id}/intakes/new")
    assert page.status_code == 200
    for code, label in NEW_CODES.items():
        assert f'value="{code}"' in page.text, code
        assert label in page.text, label
    for dated in ("radiotherapy", "laser_or_light", "ablative_resurfacing", "tanning"):
        assert f'name="{dated}.on"' in page.text
    assert 'name="rosacea_active.zones"' in page.text
    assert 'name="antiarrhythmic.stopped_on"' in page.text


def test_cancer_on_the_back_shows_caution_zones_type_and_policy(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(client),
            "on": TODAY.isoformat(),
            "zones": ["cheeks", "forehead"],
            "finding": ["skin_cancer_active"],
            "skin_cancer_active.zones": ["back"],
        },
    )
    assert re.fullmatch(r"/intakes/\d+", response.url.path)
    text = response.text
    assert "Caution" in text
    assert "clearance from the treating physician" in text
    assert (
        "Zones screened: forehead, cheeks." in text or "Zones screened: Forehead, Cheeks." in text
    )
    assert "Fitzpatrick type: " in text
    assert "clinical policy version 2" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [("radiotherapy.on", "2026-12-02"), ("radiotherapy.on", "not a date")],
)
def test_a_bad_procedure_date_is_refused_at_its_field(
    clinic: Clinic, field: str, value: str
) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    response = client.post(
        f"/patients/{patient_id}/intakes/new",
        data={
            "csrf_token": token(client),
            "on": TODAY.isoformat(),
            "zones": ["cheeks"],
            "finding": ["radiotherapy"],
            field: value,
        },
    )
    assert response.status_code == 422
    assert any("Radiotherapy: date" in line for line in error_summary(response.text))


def test_a_permanent_implant_asks_where_but_not_when(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, screened=False)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/patients/{patient_id}/intakes/new")
    assert 'name="permanent_implant.zones"' in page.text
    assert 'name="permanent_implant.on"' not in page.text
