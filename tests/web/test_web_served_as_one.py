"""The API and the pages as ``microneedling web`` serves them (``application.create_clinic_app``):
every answer carries each security header once, a form posted from the page itself is accepted,
API paths always answer the API's JSON, and a missing static file is a quiet 404.

(The end-to-end suite, tests/e2e, drives the real process in Chromium; these check the headers
answer by answer.)
"""

from __future__ import annotations

import logging
import warnings

import pytest
from tests.web.web_helpers import CSRF, PASSWORD, Clinic

from microneedling.application import create_clinic_app, is_api_path
from microneedling.config import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

SECURITY = (
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
    "cache-control",
)


def _served(clinic: Clinic, **settings: object) -> TestClient:
    config = Settings(
        database_url=clinic.settings.database_url,
        photo_dir=clinic.settings.photo_dir,
        **settings,  # type: ignore[arg-type]
    )
    app = create_clinic_app(config, database=clinic.database, clock=clinic.clock)
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


@pytest.mark.parametrize(
    "path",
    [
        "/sign-in",
        "/",
        "/static/css/app.css",
        "/static/no-such-file.css",
        "/no-such-page",
        "/api/v1/patients",
        "/api/v1/no-such-thing",
        "/openapi.json",
        "/docs",
        "/docs/static/swagger-ui.css",
    ],
)
def test_every_answer_carries_each_security_header_exactly_once(clinic: Clinic, path: str) -> None:
    answer = _served(clinic).get(path)
    for name in SECURITY:
        assert len(answer.headers.get_list(name)) == 1, (path, name, answer.headers.get_list(name))
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in answer.headers


def test_pages_are_not_cached_and_static_files_revalidate(clinic: Clinic) -> None:
    client = _served(clinic)
    assert client.get("/sign-in").headers["cache-control"] == "no-store"
    assert client.get("/api/v1/patients").headers["cache-control"] == "no-store"
    assert client.get("/static/css/app.css").headers["cache-control"] == "no-cache"


def test_pages_docs_and_data_each_have_their_own_policy(clinic: Clinic) -> None:
    client = _served(clinic)
    page = client.get("/sign-in").headers["content-security-policy"]
    assert "script-src 'self';" in page and "unsafe-inline" not in page
    docs = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in docs
    data = client.get("/api/v1/patients").headers["content-security-policy"]
    assert data.startswith("default-src 'none'")


def test_hsts_is_sent_only_when_the_deployment_asks_for_it(clinic: Clinic) -> None:
    answer = _served(clinic, hsts_seconds=31_536_000).get("/sign-in")
    assert answer.headers.get_list("strict-transport-security") == ["max-age=31536000"]


def test_signing_in_from_the_page_itself_is_accepted(clinic: Clinic) -> None:
    client = _served(clinic)
    form = client.get("/sign-in")
    token = CSRF.search(form.text)
    assert token is not None
    answer = client.post(
        "/sign-in",
        data={
            "email": clinic.emails["front_desk"],
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
        headers={"Origin": "http://testserver", "Referer": "http://testserver/sign-in"},
    )
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"] in ("/", "http://testserver/")


def test_a_form_whose_origin_is_null_or_elsewhere_is_refused_with_a_page(clinic: Clinic) -> None:
    client = _served(clinic)
    for origin in ("null", "https://evil.example"):
        answer = client.post("/sign-in", data={"email": "x"}, headers={"Origin": origin})
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert "came from another site" in answer.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v2/patients", 404),
        ("GET", "/api", 404),
        ("DELETE", "/api/v1/patients", 405),
        ("PUT", "/api/v1/auth/token", 405),
    ],
)
def test_unknown_api_paths_and_methods_answer_the_apis_json_error(
    clinic: Clinic, method: str, path: str, status: int
) -> None:
    answer = _served(clinic).request(method, path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"error", "message", "fields"}


def test_the_api_paths_are_told_from_the_pages() -> None:
    assert is_api_path("/api/v1/patients") and is_api_path("/openapi.json")
    assert is_api_path("/docs") and is_api_path("/docs/static/swagger-ui.css")
    assert not is_api_path("/apiary") and not is_api_path("/documents")
    assert not is_api_path("/patients/1") and not is_api_path("/")


def test_a_missing_static_file_is_a_quiet_404(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        answer = _served(clinic).get("/static/js/no-such-script.js")
    assert answer.status_code == 404
    assert len(answer.content) < 100
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
