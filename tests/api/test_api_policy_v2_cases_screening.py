"""Policy version 2's screening cases through the JSON API (the command-line versions are in
tests/e2e/test_policy_v2_cases_screening.py). The clinic's today is 2026-12-01; the patient an
adult of Fitzpatrick type 2."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Clinic


def record(clinic: Clinic, body: dict[str, Any]) -> Any:
    patient = clinic.world.patient()
    return clinic.post(f"/patients/{patient}/intakes", "front_desk", json=body)


def test_cancer_on_the_back_is_caution_and_records_zones_and_type(clinic: Clinic) -> None:
    response = record(
        clinic,
        {
            "zones": ["cheeks", "forehead"],
            "conditions": [{"code": "skin_cancer_active", "zones": ["back"]}],
        },
    )
    assert response.status_code == 201, response.text
    screening = response.json()["screening"]
    assert screening["decision"] == "caution"
    assert screening["findings"][0]["severity"] == "relative"
    assert screening["zones"] == ["forehead", "cheeks"]
    assert screening["fitzpatrick"] == 2
    assert screening["knowledge_base"]["overrides_hash"] is None
    assert response.json()["knowledge_base"]["version"].startswith("2.")


def test_isotretinoin_stopped_two_months_ago(clinic: Clinic) -> None:
    response = record(
        clinic,
        {
            "zones": ["cheeks"],
            "medications": [{"code": "isotretinoin", "stopped_on": "2026-10-01"}],
        },
    )
    assert response.status_code == 201, response.text
    (finding,) = response.json()["screening"]["findings"]
    assert (finding["severity"], finding["until"]) == ("relative", "2027-04-01")
    assert finding["sources"][0] == "S-ISOTRETINOIN-PI"
    assert "clinician decides" in finding["message"]


def test_keloid_plus_four_relative_findings(clinic: Clinic) -> None:
    response = record(
        clinic,
        {
            "zones": ["cheeks"],
            "conditions": [{"code": "keloid_tendency"}, {"code": "methemoglobinemia"}],
            "medications": [{"code": "anticoagulant"}, {"code": "photosensitising_drug"}],
            "allergies": [{"code": "nickel_allergy"}],
            "procedures": [{"code": "radiotherapy", "on": "2024-01-10", "zones": ["cheeks"]}],
        },
    )
    assert response.status_code == 201, response.text
    screening = response.json()["screening"]
    assert screening["decision"] == "caution"
    severities = {f["code"]: f["severity"] for f in screening["findings"]}
    assert severities == {
        "keloid_tendency": "relative",
        "methemoglobinemia": "relative",
        "anticoagulant": "relative",
        "nickel_allergy": "relative",
        "radiotherapy": "relative",
        "photosensitising_drug": "precaution",
    }
    assert {p["code"] for p in screening["precautions"]} == set(severities) - {"keloid_tendency"}


def test_a_planned_isotretinoin_start_is_refused(clinic: Clinic) -> None:
    response = record(
        clinic,
        {
            "zones": ["cheeks"],
            "medications": [{"code": "isotretinoin", "started_on": "2026-12-20"}],
        },
    )
    assert response.status_code == 422, response.text
    assert "a medication not yet started is recorded when it starts" in response.text


def test_new_codes_misspelt_misplaced_or_oversized_are_refused(clinic: Clinic) -> None:
    for body in (
        {"zones": ["cheeks"], "procedures": [{"code": "laser_or_lights", "on": "2026-11-20"}]},
        {"zones": ["cheeks"], "conditions": [{"code": "radiotherapy", "on": "2026-01-01"}]},
        {"zones": ["cheeks"], "procedures": [{"code": "tanning", "on": "2026-12-02"}]},
        {"zones": ["cheeks"], "procedures": [{"code": "x" * 5000}]},
        {"zones": ["cheeks"], "conditions": [{"code": "rosacea_active", "zones": ["elbow"]}]},
    ):
        response = record(clinic, body)
        assert response.status_code == 422, (body, response.text)
        assert "Traceback" not in response.text
