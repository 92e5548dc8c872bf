"""Issue 14, item 7, in the pages: a patient registered with a direction override in their name
is announced with the name isolated (the flash after registering), and the audit log's
sentences isolate every name, so nothing of the sentence after the name is reordered."""

from __future__ import annotations

import html
import re

from tests.web.web_helpers import Clinic, token

from microneedling.text_direction import EMBEDDINGS, FSI, PDI

GIVEN, FAMILY = "Eve\u202eeciv", "\u202bמרים"


def test_a_hostile_name_is_isolated_in_the_registration_and_the_audit_log(clinic: Clinic) -> None:
    front = clinic.signed_in("front_desk")
    response = front.post(
        "/patients/new",
        data={"csrf_token": token(front, "/patients/new"), "given_name": GIVEN,
              "family_name": FAMILY, "birth_date": "1990-01-02", "fitzpatrick": "3"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    flash = re.search(r"Registered [^<]*\.", html.unescape(response.text))
    assert flash is not None
    said = flash.group(0)
    assert said == f"Registered {FSI}Eveeciv מרים{PDI}."
    assert not set(said) & EMBEDDINGS

    page = clinic.signed_in("owner").get("/admin/audit?action=patient.register")
    assert page.status_code == 200
    text = html.unescape(page.text)
    sentence = re.search(r"registered [^<]*", text)
    assert sentence is not None, text
    assert f"{FSI}Eveeciv מרים{PDI}" in sentence.group(0)
    assert "\u202e" not in text.split("<main", 1)[-1]
