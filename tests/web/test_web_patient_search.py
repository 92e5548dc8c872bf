"""The patients page finds people as staff type them, and registering someone twice warns."""

from __future__ import annotations

import re

from tests.web.web_helpers import Clinic, new_patient, token


def test_the_live_search_finds_a_patient_by_given_and_family_name_in_either_order(
    clinic: Clinic,
) -> None:
    new_patient(clinic, given_name="Sara", family_name="Smitsenburg", birth_date="1988-03-14")
    client = clinic.signed_in("front_desk")
    for typed in ("Sara Smitsen", "smitsenburg sara", "14/03/1988", "14 March 1988"):
        found = client.get("/patients", params={"q": typed}, headers={"HX-Request": "true"})
        assert found.status_code == 200
        assert "<bdi>Smitsenburg</bdi>, <bdi>Sara</bdi>" in found.text, typed
        assert "Mon 14 Mar 1988" in found.text


def test_a_particle_in_the_family_name_does_not_hide_the_patient(clinic: Clinic) -> None:
    new_patient(clinic, given_name="Anne", family_name="de Boerhaave", birth_date="1975-11-02")
    page = clinic.signed_in("front_desk").get("/patients", params={"q": "Boerhaave"})
    assert "<bdi>de Boerhaave</bdi>, <bdi>Anne</bdi>" in page.text


def test_registering_a_patient_already_registered_warns_and_links_the_existing_record(
    clinic: Clinic,
) -> None:
    existing = new_patient(clinic, given_name="Dana", family_name="Dubbel", birth_date="1980-06-01")
    client = clinic.signed_in("front_desk")
    details = {"given_name": "dana", "family_name": "DUBBEL", "birth_date": "1980-06-01",
               "fitzpatrick": "2"}  # fmt: skip
    warned = client.post("/patients/new", data={"csrf_token": token(client), **details})
    assert warned.status_code == 409
    assert "This patient may already be registered" in warned.text
    assert f'href="/patients/{existing}"' in warned.text
    assert "Register anyway" in warned.text
    assert 'value="DUBBEL"' in warned.text

    registered = client.post(
        "/patients/new",
        data={"csrf_token": token(client), **details, "confirm_duplicate": "yes"},
    )
    assert re.fullmatch(r"/patients/\d+", registered.url.path)
    assert registered.url.path != f"/patients/{existing}"
