"""The message settings, previews and a patient's preferences through the JSON API: owners set
and preview, bad input is a 422 naming each field and saves nothing, other roles get 403,
another clinic's patient is 404."""

from __future__ import annotations

import pytest
from tests.api.conftest import Clinic

from microneedling.store.message_models import CHANNELS, STOPPABLE_CATEGORIES


def test_owners_set_timings_and_a_template_and_preview_it(clinic: Clinic) -> None:
    read = clinic.get("/messages/settings")
    assert read.status_code == 200 and read.json()["quiet_hours"] == "21:00-08:00"
    put = clinic.call(
        "PUT", "/messages/settings", json={"quiet_hours": "22:00-07:00", "reminder_2h": None}
    )
    assert put.status_code == 200, put.text
    assert put.json()["timings"]["reminder_2h"] is None
    assert put.json()["timings"]["reminder_48h"] == 48
    saved = clinic.call(
        "PUT", "/messages/templates/reminder_48h",
        json={"subject": "{{ clinic }}: {{ when }}", "body": "Bring {{ given_name }}'s smile."},
    )  # fmt: skip
    assert saved.status_code == 200 and saved.json()["templates"]["reminder_48h"]["own"]
    shown = clinic.post("/messages/templates/reminder_48h/preview", json={})
    assert shown.json()["text"].count("Bring Nguyễn's smile.") == 1
    assert shown.json()["sms"].endswith("Reply STOP to stop.")
    assert clinic.call("DELETE", "/messages/templates/reminder_48h").status_code == 200
    again = clinic.get("/messages/settings").json()["templates"]["reminder_48h"]
    assert not again["own"]


@pytest.mark.parametrize(
    "document",
    [
        {"quiet_hours": "soon"},
        {"reminder_48h": 0},
        {"reminder_48h": True},
        {"reminder_48h": "1; DROP TABLE"},
        {"bogus": 1},
        {"quiet_hours": ["21:00", "08:00"]},
    ],
)
def test_bad_settings_are_422_and_change_nothing(clinic: Clinic, document: dict) -> None:
    before = clinic.get("/messages/settings").json()
    answer = clinic.call("PUT", "/messages/settings", json=document)
    assert answer.status_code == 422, answer.text
    assert answer.json()["fields"]
    assert clinic.get("/messages/settings").json() == before


def test_a_hostile_template_is_422(clinic: Clinic) -> None:
    answer = clinic.call(
        "PUT", "/messages/templates/confirmation",
        json={"subject": "Hi", "body": "{{ ''.__class__.__mro__ }}"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert clinic.post("/messages/templates/nope/preview", json={}).status_code == 422


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_owners_change_settings(clinic: Clinic, role: str) -> None:
    assert clinic.get("/messages/settings", role).status_code == 403
    assert clinic.call("PUT", "/messages/settings", role, json={}).status_code == 403


def test_staff_record_preferences_and_another_clinic_cannot(clinic: Clinic) -> None:
    patient_id = clinic.world.patient()
    choice = {name: name != "marketing" for name in (*CHANNELS, *STOPPABLE_CATEGORIES)}
    choice["sms"] = False
    put = clinic.call(
        "PUT", f"/patients/{patient_id}/message-preferences", "front_desk", json=choice
    )
    assert put.status_code == 200 and put.json()["source"] == "staff"
    read = clinic.get(f"/patients/{patient_id}/message-preferences", "front_desk").json()
    assert read["sms"] is False and read["email"] is True
    assert clinic.call(
        "PUT", f"/patients/{patient_id}/message-preferences", "front_desk",
        json={**choice, "email": "yes"},
    ).status_code == 422  # fmt: skip
    assert (
        clinic.get(f"/patients/{patient_id}/message-preferences", "other_owner").status_code == 404
    )
