# ruff: noqa: F811 (the fixtures imported from tests/web)
"""Consent forms in the portal: read in full, e-signed by typing one's name and ticking, a PDF
copy, withdrawal as easy; staff see the e-signed consent on the patient's record. And every
route of this part of the portal × (the patient, another patient, anonymous, staff)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.portal.test_companion_web import booked_patient, text_of
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, csrf_of, form_fields

from microneedling.services.consents import consent_form


def sign(client: TestClient, kind: str, **changes: str) -> Any:
    page = client.get(f"/my/consent/{kind}")
    fields = dict(form_fields(page.text, f"/my/consent/{kind}"))
    return client.post(f"/my/consent/{kind}", data={**fields, "typed_name": "Ada Lovelace",
                                                     "agreed": "on", **changes})  # fmt: skip


def test_a_patient_reads_signs_downloads_and_withdraws(clinic: Clinic) -> None:
    patient_id = invited_patient(clinic, "sign@example.com")
    client = patient_browser(clinic, "sign@example.com")
    listing = client.get("/my/consent")
    assert listing.status_code == 200
    assert "Your treatment" in listing.text and "Not signed" in listing.text
    form = client.get("/my/consent/treatment").text
    assert consent_form("treatment").text in form  # the whole text, on the page
    signed = sign(client, "treatment")
    assert signed.status_code == 200 and signed.url.path == "/my/consent"
    assert "Signed. You can download a copy" in signed.text
    [pdf_link] = re.findall(r'href="(/my/consent/signed/\d+/copy\.pdf)"', signed.text)
    pdf = client.get(pdf_link)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "consent-treatment-2026-12-01.pdf" in pdf.headers["content-disposition"]
    staff = clinic.signed_in("front_desk")
    record = staff.get(f"/patients/{patient_id}").text
    assert f'href="/patients/{patient_id}/e-signed"' in record
    e_signed = text_of(staff.get(f"/patients/{patient_id}/e-signed").text)
    assert "Consent to microneedling treatment" in e_signed and "standing" in e_signed
    assert "198.51.100.1" in e_signed and "testclient" in e_signed.lower()
    withdraw_url = re.findall(r'href="(/my/consent/signed/\d+/withdraw)"', signed.text)[0]
    page = client.get(withdraw_url)
    assert "Without it, the clinic cannot treat you" in page.text
    done = client.post(withdraw_url, data={"csrf_token": csrf_of(page.text)})
    assert "Withdrawn. From now on it no longer counts" in done.text
    assert "Not signed" in done.text and "Withdrawn earlier" in done.text
    assert "withdrawn" in staff.get(f"/patients/{patient_id}/e-signed").text
    again = client.post(withdraw_url, data={"csrf_token": csrf_of(page.text)})
    assert "already withdrawn" in again.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"typed_name": ""}, "type your full name to sign"),
        ({"typed_name": "Grace Hopper"}, "type your full name as the clinic has it"),
        ({"agreed": ""}, "tick the box"),
        ({"text_sha256": "0" * 64}, "the clinic changed this form"),
        ({"text_sha256": "<script>alert(1)</script>"}, "could not be read back"),
        ({"typed_name": "A" * 5000}, "at most 200 characters"),
    ],
)
def test_a_bad_signature_gets_a_clear_message_and_signs_nothing(
    clinic: Clinic, changes: dict[str, str], message: str
) -> None:
    email = re.sub(r"\W", "", message)[:24].lower() + "@example.com"
    invited_patient(clinic, email)
    client = patient_browser(clinic, email)
    answer = sign(client, "clinical_photos", **changes)
    assert answer.status_code == 422 and message in answer.text
    assert "Nothing was signed" in answer.text and "<script>alert" not in answer.text
    assert "Not signed" in client.get("/my/consent").text


def test_a_form_posted_without_its_token_is_refused(clinic: Clinic) -> None:
    invited_patient(clinic, "csrf@example.com")
    client = patient_browser(clinic, "csrf@example.com")
    page = client.get("/my/consent/treatment")
    fields = dict(form_fields(page.text, "/my/consent/treatment"))
    fields.update(typed_name="Ada Lovelace", agreed="on", csrf_token="forged")
    assert client.post("/my/consent/treatment", data=fields).status_code == 403


# Access: every route × (the patient, another patient, anonymous, staff) ----------------------


def _routes(client: TestClient) -> dict[str, str]:
    """Ada's own addresses (her signed consent's, and the pages)."""
    signed = sign(client, "treatment")
    signature_id = re.findall(r"/my/consent/signed/(\d+)/", signed.text)[0]
    return {
        "list": "/my/consent",
        "form": "/my/consent/treatment",
        "pdf": f"/my/consent/signed/{signature_id}/copy.pdf",
        "withdraw": f"/my/consent/signed/{signature_id}/withdraw",
        "care": "/my/care",
        "check": "/my/care/check",
        "reaction": "/my/reactions/new",
    }


def test_every_route_for_the_patient_another_patient_anonymous_and_staff(clinic: Clinic) -> None:
    booked_patient(clinic, "ada@example.com", "2026-12-10T13:00")
    invited_patient(clinic, "grace@example.com", given_name="Grace", family_name="Hopper")
    ada = patient_browser(clinic, "ada@example.com")
    routes = _routes(ada)
    grace = patient_browser(clinic, "grace@example.com", address="198.51.100.2")
    anonymous = clinic.client()
    staff = clinic.signed_in("owner")
    for name, url in routes.items():
        mine = ada.get(url)
        assert mine.status_code == 200, name
        theirs = grace.get(url)
        if name in ("pdf", "withdraw"):
            assert theirs.status_code == 404, name
            assert "Ada" not in theirs.text and "Lovelace" not in theirs.text
        else:
            assert theirs.status_code == 200, name
            assert "Lovelace" not in theirs.text and "Lovelace" not in text_of(theirs.text)
        nobody = anonymous.get(url, follow_redirects=False)
        assert nobody.status_code == 303 and nobody.headers["location"].startswith("/my/sign-in")
        refused = staff.get(url)
        assert refused.status_code == 403 and "This page is for patients" in refused.text
    # Posting to Ada's withdrawal as Grace: not found, and it still stands.
    page = grace.get("/my/consent")
    post = grace.post(routes["withdraw"], data={"csrf_token": csrf_of(page.text)})
    assert post.status_code == 404
    assert "Signed" in ada.get("/my/consent").text
    # Posting without a session: to the sign-in page; nothing changes.
    nobody = anonymous.post(routes["withdraw"], data={"csrf_token": "x"}, follow_redirects=False)
    assert nobody.status_code in (303, 403)
    # The staff pages are not the patient's: the portal cookie does not open them.
    for url in ("/reactions", "/patients/1/e-signed"):
        assert ada.get(url).url.path == "/sign-in", url
        assert anonymous.get(url).url.path == "/sign-in", url
    other_clinic = clinic.client()
    from tests.web.web_helpers import sign_in

    sign_in(other_clinic, clinic.emails["other_owner"])
    assert other_clinic.get("/patients/1/e-signed").status_code == 404
