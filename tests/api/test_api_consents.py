"""Consents through the API: the server records the text of the kind's form, never another."""

from __future__ import annotations

from tests.api.conftest import Clinic

from microneedling.services import consents

PHOTOS = consents.consent_form("marketing_photos")
TREATMENT = consents.consent_form("treatment")


def test_a_marketing_photo_consent_signed_through_the_api_keeps_the_marketing_text(
    clinic: Clinic,
) -> None:
    patient_id = clinic.world.patient()
    created = clinic.post(
        f"/patients/{patient_id}/consents",
        json={"kind": "marketing_photos", "signed_by_name": "the patient"},
        role="front_desk",
    )
    assert created.status_code == 201, created.text
    (signed,) = clinic.get(f"/patients/{patient_id}/consents", role="front_desk").json()
    assert signed["kind"] == "marketing_photos"
    assert signed["text"] == PHOTOS.text
    assert signed["text_sha256"] == PHOTOS.text_sha256
    assert signed["form_version"] == PHOTOS.version


def test_the_api_refuses_a_consent_whose_text_is_not_its_forms(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    refused = clinic.post(
        f"/patients/{patient_id}/consents",
        json={"kind": "marketing_photos", "form_version": PHOTOS.version, "text": TREATMENT.text,
              "signed_by_name": "the patient"},
        role="front_desk",
    )  # fmt: skip
    assert refused.status_code == 422
    assert "text" in refused.text
    assert clinic.get(f"/patients/{patient_id}/consents", role="front_desk").json() == []
