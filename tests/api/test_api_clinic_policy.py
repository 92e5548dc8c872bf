"""The clinic's policy overrides through the API (REFERENCE.md A.7): read with bounds and
defaults, replaced with every problem named in ``fields``, one value reset, the contact details
apart; old free-form values reported as refused and never applied."""

from __future__ import annotations

import pytest
from tests.api.conftest import Clinic


def test_the_policy_lists_each_value_with_bounds_and_default(clinic: Clinic) -> None:
    response = clinic.get("/clinic/policy")
    assert response.status_code == 200, response.text
    body = response.json()
    values = {value["key"]: value for value in body["values"]}
    assert values["minimum_age"]["default"] == 18
    assert (values["minimum_age"]["min"], values["minimum_age"]["max"]) == (18, 25)
    assert values["minimum_age"]["override"] is None and values["minimum_age"]["in_force"] == 18
    assert body["overrides_hash"] is None and body["refused"] == []


def test_put_replaces_the_overrides_and_delete_restores_a_default(clinic: Clinic) -> None:
    put = clinic.call(
        "PUT", "/clinic/policy-overrides", json={"minimum_age": 21, "sunburn_wait_days": 10}
    )
    assert put.status_code == 204, put.text
    assert clinic.get("/clinic/policy-overrides").json() == {
        "minimum_age": 21,
        "sunburn_wait_days": 10,
    }
    digest = clinic.get("/clinic/policy").json()["overrides_hash"]
    assert digest.startswith("sha256:")
    reset = clinic.call("DELETE", "/clinic/policy-overrides/minimum_age")
    assert reset.status_code == 200, reset.text
    assert reset.json()["overrides"] == {"sunburn_wait_days": 10}
    assert reset.json()["overrides_hash"] not in (None, digest)
    unknown = clinic.call("DELETE", "/clinic/policy-overrides/reminder_days")
    assert unknown.status_code == 422


@pytest.mark.parametrize(
    ("document", "fields"),
    [
        ({"minimum_age": 12}, {"minimum_age"}),
        ({"minimum_age": "21"}, {"minimum_age"}),
        ({"reminder_days": 2, "tanning_wait_days": 43}, {"reminder_days", "tanning_wait_days"}),
        ({"zone_areas_cm2": {"elbow": 10}}, {"zone_areas_cm2.elbow"}),
        (
            {"device_profiles": [{"name": "P", "lowest_mm": 0, "highest_mm": 4, "step_mm": 1}]},
            {
                "device_profiles[0].lowest_mm",
                "device_profiles[0].highest_mm",
                "device_profiles[0].step_mm",
            },
        ),
    ],
)
def test_every_problem_is_named_and_nothing_is_stored(
    clinic: Clinic, document: dict[str, object], fields: set[str]
) -> None:
    response = clinic.call("PUT", "/clinic/policy-overrides", json=document)
    assert response.status_code == 422, response.text
    named = {item["path"] for item in response.json()["fields"]}
    assert named == fields
    assert clinic.get("/clinic/policy-overrides").json() == {}


def test_the_contact_details_are_kept_apart(clinic: Clinic) -> None:
    response = clinic.call("PUT", "/clinic/contact", json={"phone": "+31 71 123 4567"})
    assert response.status_code == 200, response.text
    assert response.json()["contact"] == {"phone": "+31 71 123 4567"}
    clinic.call("PUT", "/clinic/policy-overrides", json={"minimum_age": 21})
    assert clinic.get("/clinic/policy").json()["contact"] == {"phone": "+31 71 123 4567"}
    bad = clinic.call("PUT", "/clinic/contact", json={"phone": "x", "fax": "1"})
    assert bad.status_code == 422


def test_a_screening_through_the_api_carries_the_clinics_overrides_hash_when_wired(
    clinic: Clinic,
) -> None:
    """The compute routes (api/routes/compute.py) apply the clinic's overrides once they pass
    the unit of work to the computation; until then they give the shipped policy."""
    clinic.call("PUT", "/clinic/policy-overrides", json={"minimum_age": 21})
    intake = {
        "on": "2026-12-07",
        "patient": {"birth_date": "2006-01-01", "fitzpatrick": 2},
        "zones": ["cheeks"],
    }
    response = clinic.post("/screen", role="clinician", json=intake)
    assert response.status_code == 200, response.text
    body = response.json()
    digest = clinic.get("/clinic/policy").json()["overrides_hash"]
    assert body["knowledge_base"]["overrides_hash"] == digest
    assert body["decision"] == "not_eligible"
