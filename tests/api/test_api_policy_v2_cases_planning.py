"""Policy version 2's planning cases through the JSON API (the command-line versions are in
tests/e2e/test_policy_v2_cases_planning.py): the neck screened and the cheeks planned (refused),
facial burn scars (start 1.5 mm, not 1.75), stretch marks on the abdomen and thighs (3000 cm² to
numb, ``large_anesthetic_area``). Plans on a patient's records and the stateless ``/plan``. The
clinic's today is 2026-12-01; the patient an adult of Fitzpatrick type 2."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Clinic
from tests.conftest import intake_data


def screen_and_plan(clinic: Clinic, zones: list[str], treatments: list[tuple[str, str]]) -> Any:
    patient = clinic.world.patient()
    recorded = clinic.post(f"/patients/{patient}/intakes", "front_desk", json={"zones": zones})
    assert recorded.status_code == 201, recorded.text
    body = {
        "treatments": [{"zone": z, "concern": c} for z, c in treatments],
        "start": "2026-12-07",
    }
    return clinic.post(f"/patients/{patient}/plans", "clinician", json=body)


def stateless(clinic: Clinic, zones: list[str] | None, treatments: list[tuple[str, str]]) -> Any:
    screening = None
    if zones is not None:
        screened = clinic.post("/screen", "clinician", json=intake_data(zones=zones))
        assert screened.status_code == 200, screened.text
        screening = screened.json()
    body = {
        "on": "2026-12-01",
        "fitzpatrick": 2,
        "start": "2026-12-07",
        "treatments": [{"zone": z, "concern": c} for z, c in treatments],
        "screening": screening,
    }
    return clinic.post("/plan", "clinician", json=body)


def codes(plan: dict[str, Any]) -> list[str]:
    return [w["code"] for w in plan["warnings"]]


def test_neck_screened_cheeks_planned_is_refused(clinic: Clinic) -> None:
    response = screen_and_plan(clinic, ["neck"], [("cheeks", "acne_scars")])
    assert response.status_code in (400, 409, 422), response.text
    assert "cheeks were not screened: screen again including them" in response.text
    response = stateless(clinic, ["neck"], [("cheeks", "acne_scars")])
    assert response.status_code in (400, 422), response.text
    assert "cheeks were not screened" in response.text


def test_facial_burn_scars_start_at_1_5(clinic: Clinic) -> None:
    response = screen_and_plan(clinic, ["cheeks"], [("cheeks", "burn_scars")])
    assert response.status_code == 201, response.text
    for plan in (
        response.json()["plan"],
        stateless(clinic, ["cheeks"], [("cheeks", "burn_scars")]).json(),
    ):
        [zone] = plan["series"][0]["zones"]
        assert zone["depth_mm"] == {"min": 1.5, "max": 2.0, "start": 1.5}
        assert zone["technique"]["passes"] == {"min": 3, "max": 6}
        assert plan["device"]["name"] == "Default pen"


def test_abdomen_and_thighs_numb_3000_cm2(clinic: Clinic) -> None:
    treatments = [("abdomen", "stretch_marks"), ("thighs", "stretch_marks")]
    response = screen_and_plan(clinic, ["abdomen", "thighs"], treatments)
    assert response.status_code == 201, response.text
    for plan in (
        response.json()["plan"],
        stateless(clinic, ["abdomen", "thighs"], treatments).json(),
    ):
        assert plan["treated_area"]["total_cm2"] == 3000
        assert "large_anesthetic_area" in codes(plan)
        day_0 = [e for e in plan["precare"] if e["day"] == 0]
        assert day_0 and all("3000 cm²" in e["instruction"] for e in day_0)


def test_the_stateless_plan_without_a_screening_warns_not_screened(clinic: Clinic) -> None:
    response = stateless(clinic, None, [("neck", "skin_laxity")])
    assert response.status_code == 200, response.text
    assert "not_screened" in codes(response.json())


def test_a_malformed_device_is_refused_in_fields(clinic: Clinic) -> None:
    body = {
        "on": "2026-12-01",
        "fitzpatrick": 2,
        "treatments": [{"zone": "neck", "concern": "skin_laxity"}],
        "devices": [{"name": "x", "lowest_mm": 0.01, "highest_mm": 9, "step_mm": 0}],
    }
    response = clinic.post("/plan", "clinician", json=body)
    assert response.status_code == 422, response.text


def test_the_clinics_overrides_apply_to_its_plans(clinic: Clinic) -> None:
    overrides = {
        "zone_areas_cm2": {"cheeks": 250},
        "large_numbing_area_cm2": 200,
        "passes": {"acne_scars": {"min": 2, "max": 3}},
        "device_profiles": [
            {"name": "Fine pen", "lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1}
        ],
    }
    stored = clinic.call("PUT", "/clinic/policy-overrides", json=overrides)
    assert stored.status_code == 204, stored.text
    response = screen_and_plan(clinic, ["cheeks"], [("cheeks", "acne_scars")])
    assert response.status_code == 201, response.text
    plan = response.json()["plan"]
    [zone] = plan["series"][0]["zones"]
    assert zone["area_cm2"] == 250 and plan["treated_area"]["total_cm2"] == 250
    assert "large_anesthetic_area" in codes(plan)  # 250 cm² is above the clinic's 200
    assert zone["technique"]["passes"] == {"min": 2, "max": 3}
    assert plan["knowledge_base"]["overrides_hash"].startswith("sha256:")
    # The shipped pen stays the default; the clinic's own pen is named in a request (stateless
    # here, PlanIn has no device field yet).
    assert plan["device"]["name"] == "Default pen"


def test_a_patients_plan_is_made_for_the_clinics_own_device(clinic: Clinic) -> None:
    """A clinic's device profile (0.2–3.0 mm in 0.1 mm steps), named on the plan request: the
    cheeks' rejuvenation start (0.75, the middle of 0.5–1.0, which the default pen sets) is
    rounded down to what this device sets, 0.7; an unknown name is refused, naming it."""
    saved = clinic.call(
        "PUT",
        "/clinic/policy-overrides",
        json={
            "device_profiles": [
                {"name": "Fine pen", "lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1}
            ]
        },
    )
    assert saved.status_code == 204, saved.text
    patient = clinic.world.patient()
    recorded = clinic.post(f"/patients/{patient}/intakes", "front_desk", json={"zones": ["cheeks"]})
    assert recorded.status_code == 201, recorded.text
    body: dict[str, Any] = {
        "treatments": [{"zone": "cheeks", "concern": "fine_lines"}],
        "start": "2026-12-07",
        "device": "Fine pen",
    }
    made = clinic.post(f"/patients/{patient}/plans", "clinician", json=body)
    assert made.status_code == 201, made.text
    plan = made.json()["plan"]
    assert plan["device"]["name"] == "Fine pen"
    [zone] = plan["series"][0]["zones"]
    assert zone["depth_mm"]["start"] == 0.7
    refused = clinic.post(
        f"/patients/{patient}/plans", "clinician", json={**body, "device": "No such pen"}
    )
    assert refused.status_code in (400, 422), refused.text
    assert "No such pen" in refused.text
