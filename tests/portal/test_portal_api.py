"""The patient's API (/api/v1/portal): sign-in by one-time code, the home facts and the
questionnaire as the patient; a staff token is no patient token, nor the reverse."""

from __future__ import annotations

import warnings

import pytest
from tests.portal.portal_helpers import invited_patient, last_code
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import PASSWORD, Clinic

from microneedling.api.app import create_app
from microneedling.services.portal import sign_in as signing_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

API = "/api/v1/portal"


@pytest.fixture(scope="module")
def api(clinic: Clinic) -> TestClient:  # noqa: F811
    app = create_app(clinic.settings, database=clinic.database, clock=clinic.clock)
    return TestClient(app, client=("198.51.100.60", 5000))


def _token(api: TestClient, clinic: Clinic, email: str) -> str:  # noqa: F811
    sent = api.post(f"{API}/sign-in/code", json={"clinic": "web", "address": email})
    assert sent.status_code == 202, sent.text
    signed = api.post(f"{API}/sign-in", json={"clinic": "web", "address": email,
                                              "code": last_code(clinic, email)})  # fmt: skip
    assert signed.status_code == 200, signed.text
    return str(signed.json()["token"])


def test_a_patient_signs_in_and_sends_the_questionnaire(api: TestClient, clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "api@example.org", given_name="Api")
    headers = {"Authorization": f"Bearer {_token(api, clinic, 'api@example.org')}"}
    me = api.get(f"{API}/me", headers=headers)
    assert me.status_code == 200 and me.json()["given_name"] == "Api"
    assert api.get(f"{API}/intake", headers=headers).json() is None
    bad = api.post(f"{API}/intake/submit", headers=headers,
                   json={"answers": {"finding": ["chemical_peel"],
                                     "chemical_peel.on": ["next Tuesday"]}})  # fmt: skip
    assert bad.status_code == 422
    paths = {field["path"] for field in bad.json()["fields"]}
    assert {"zones", "chemical_peel.on"} <= paths
    draft = api.put(f"{API}/intake/draft", headers=headers,
                    json={"answers": {"zones": ["cheeks"]}})  # fmt: skip
    assert draft.status_code == 200 and draft.json()["status"] == "draft"
    sent = api.post(f"{API}/intake/submit", headers=headers,
                    json={"answers": {"zones": ["cheeks"], "finding": ["topical_retinoid"],
                                      "topical_retinoid.stopped_on": ["yesterday"]}})  # fmt: skip
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["decision"] == "defer" and body["earliest_date"] == "2026-12-07"
    assert "because of your retinoid" in " ".join(body["meaning"]["points"])
    assert api.post(f"{API}/sign-out", headers=headers).status_code == 204
    assert api.get(f"{API}/me", headers=headers).status_code == 401


def test_tokens_do_not_cross(api: TestClient, clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "cross@example.org")
    patient = {"Authorization": f"Bearer {_token(api, clinic, 'cross@example.org')}"}
    assert api.get("/api/v1/patients", headers=patient).status_code == 401
    assert api.get("/api/v1/auth/me", headers=patient).status_code == 401
    staff = api.post("/api/v1/auth/token",
                     data={"username": clinic.emails["owner"], "password": PASSWORD})  # fmt: skip
    assert staff.status_code == 200, staff.text
    as_staff = {"Authorization": f"Bearer {staff.json()['access_token']}"}
    assert api.get(f"{API}/me", headers=as_staff).status_code == 401
    assert api.get(f"{API}/me").status_code == 401


def test_bad_requests_are_refused_clearly(api: TestClient, clinic: Clinic) -> None:  # noqa: F811
    assert api.post(f"{API}/sign-in/code", json={"clinic": "web"}).status_code == 422
    assert api.post(f"{API}/sign-in/code",
                    json={"clinic": "web", "address": "x", "extra": 1}).status_code == 422  # fmt: skip
    wrong = api.post(f"{API}/sign-in", json={"clinic": "web", "address": "nobody@example.org",
                                             "code": "123456"})  # fmt: skip
    assert wrong.status_code == 422 and "not right" in wrong.json()["message"]
    for _ in range(signing_in.MAX_WRONG_PER_ADDRESS):
        api.post(f"{API}/sign-in", json={"clinic": "web", "address": "brute@example.org",
                                         "code": "123456"})  # fmt: skip
    limited = api.post(f"{API}/sign-in", json={"clinic": "web", "address": "brute@example.org",
                                               "code": "123456"})  # fmt: skip
    assert limited.status_code == 429 and "too many wrong codes" in limited.json()["message"]
    assert api.get(f"{API}/openapi.json").status_code == 200
