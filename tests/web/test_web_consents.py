"""Recording a signed consent: each kind shows its own text, and that text is what is kept."""

from __future__ import annotations

import html

from tests.web.web_helpers import Clinic, csrf_of, new_patient

from microneedling.services import consents

TREATMENT = consents.consent_form("treatment")
PHOTOS = consents.consent_form("marketing_photos")


def test_the_marketing_photo_consent_form_shows_the_marketing_text_not_the_treatments(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, consent=False)
    client = clinic.signed_in("front_desk")
    page = html.unescape(
        client.get(f"/patients/{patient_id}/consents/new?kind=marketing_photos").text
    )
    assert PHOTOS.text in page
    assert TREATMENT.text not in page
    treatment_page = html.unescape(client.get(f"/patients/{patient_id}/consents/new").text)
    assert TREATMENT.text in treatment_page and PHOTOS.text not in treatment_page
    # The form signs the kind whose text it shows: no choosing the other kind under this text.
    form = treatment_page.split('action="/patients/')[1].split("</form>")[0]
    assert 'name="kind" value="treatment"' in form
    assert 'value="marketing_photos"' not in form


def test_a_marketing_photo_consent_is_recorded_with_the_marketing_text_and_shown_on_the_record(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, consent=False)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/patients/{patient_id}/consents/new?kind=marketing_photos").text
    response = client.post(
        f"/patients/{patient_id}/consents/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "marketing_photos",
            "form_version": PHOTOS.version,
            "text_sha256": PHOTOS.text_sha256,
            "signed_by_name": "Ada Lovelace",
            "confirm": "on",
        },
    )
    assert response.url.path == f"/patients/{patient_id}"
    (signed,) = consents.list_consents(
        clinic.uow(), clinic.front_desk, patient_id, clock=clinic.clock
    )
    assert signed["kind"] == "marketing_photos"
    assert signed["text"] == PHOTOS.text
    assert signed["text_sha256"] == PHOTOS.text_sha256
    assert signed["form_version"] == PHOTOS.version
    assert PHOTOS.text in html.unescape(response.text)


def test_a_consent_posted_with_the_other_kinds_text_is_refused_and_nothing_is_recorded(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, consent=False)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/patients/{patient_id}/consents/new").text
    response = client.post(
        f"/patients/{patient_id}/consents/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "marketing_photos",
            "form_version": PHOTOS.version,
            "text_sha256": TREATMENT.text_sha256,
            "signed_by_name": "Ada Lovelace",
            "confirm": "on",
        },
    )
    assert response.status_code == 422
    assert "show the form again" in response.text
    assert PHOTOS.text in html.unescape(response.text)
    assert (
        consents.list_consents(clinic.uow(), clinic.front_desk, patient_id, clock=clinic.clock)
        == []
    )
