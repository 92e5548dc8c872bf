"""Who reaches what: every portal route × (the patient, another patient, anonymous, staff), and
a patient's cookie reaching nothing of the staff pages or the API.

The routes are read from the application itself, so a page added to the portal later is
checked too. A route's record ids are filled with the first patient's records (and small
numbers): the other patient must never see anything of the first patient's.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from sqlalchemy import select
from starlette.routing import Route
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, csrf_of

from microneedling.application import create_clinic_app
from microneedling.config import Settings
from microneedling.store.portal_models import PortalIntake

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

#: Portal pages anyone may open (before signing in).
PUBLIC = {"/my/sign-in", "/my/request"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
SECRET_NAME = "Zephyrine"


def _flat(routes: list[Any]) -> list[Route]:
    """Every route, also inside included routers (however FastAPI wraps them)."""
    found: list[Route] = []
    for route in routes:
        if isinstance(route, Route):
            found.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            found.extend(_flat(list(inner.routes)))
    return found


def _routes(served: Clinic, portal: bool) -> list[tuple[str, str]]:
    found = set()
    for route in _flat(list(served.app.routes)):
        if route.path.startswith("/static") or route.path.startswith("/my") != portal:
            continue
        for method in route.methods or ():
            if method in ("GET", "POST"):
                found.add((method, route.path))
    return sorted(found)


def _fill(path: str, value: int) -> str:
    return PARAM.sub(str(value), path)


@pytest.fixture(scope="module")
def people(clinic: Clinic) -> dict[str, object]:  # noqa: F811
    invited_patient(clinic, "first@example.org", given_name=SECRET_NAME)
    invited_patient(clinic, "second@example.org", given_name="Bertil")
    first = patient_browser(clinic, "first@example.org", "198.51.100.40")
    page = first.get("/my/intake")
    first.post("/my/intake", data={"csrf_token": csrf_of(page.text), "action": "submit",
                                   "zones": "cheeks", "finding": "topical_retinoid"})  # fmt: skip
    with clinic.uow() as uow:
        ids = sorted(uow.session.execute(select(PortalIntake.id)).scalars())
    return {"first": first, "ids": [*ids, 1, 2, 3]}


def test_the_portal_has_its_pages(clinic: Clinic) -> None:  # noqa: F811
    paths = {path for _method, path in _routes(clinic, portal=True)}
    assert {"/my", "/my/sign-in", "/my/sign-in/code", "/my/intake", "/my/sign-out"} <= paths


def test_anonymous_visitors_are_sent_to_sign_in(clinic: Clinic) -> None:  # noqa: F811
    client = TestClient(clinic.app, follow_redirects=False, client=("198.51.100.41", 5000))
    for method, path in _routes(clinic, portal=True):
        response = client.request(method, _fill(path, 1))
        if method == "POST":
            assert response.status_code in (403, 303), path  # no form token: refused
        elif path in PUBLIC:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/my/sign-in"), path


def test_staff_browsers_are_refused_every_portal_page(clinic: Clinic) -> None:  # noqa: F811
    staff = clinic.signed_in("owner")
    token = csrf_of(staff.get("/").text)  # the staff session's own form token
    for method, path in _routes(clinic, portal=True):
        data = {"csrf_token": token} if method == "POST" else None
        response = staff.request(method, _fill(path, 1), data=data, follow_redirects=False)
        assert response.status_code == 403, (method, path)
        assert "This page is for patients" in response.text
        without = staff.post(_fill(path, 1), follow_redirects=False) if method == "POST" else None
        assert without is None or "This form has expired" in without.text


def test_a_patient_sees_only_their_own(clinic: Clinic, people: dict[str, object]) -> None:  # noqa: F811
    second = patient_browser(clinic, "second@example.org", "198.51.100.42")
    token = csrf_of(second.get("/my").text)
    checked = 0
    for method, path in _routes(clinic, portal=True):
        for value in people["ids"] if PARAM.search(path) else [0]:  # type: ignore[attr-defined]
            url = _fill(path, value)
            if method == "GET":
                response = second.get(url, follow_redirects=False)
            elif path == "/my/sign-out":
                continue
            else:
                response = second.post(url, data={"csrf_token": token}, follow_redirects=False)
            assert response.status_code < 500, (method, url)
            assert SECRET_NAME not in response.text, (method, url)
            checked += 1
    assert checked >= 5
    own = people["first"].get("/my")  # type: ignore[attr-defined]
    assert SECRET_NAME in own.text


def test_a_patient_cookie_opens_no_staff_page(clinic: Clinic, people: dict[str, object]) -> None:  # noqa: F811
    patient = people["first"]
    anonymous = TestClient(clinic.app, follow_redirects=False, client=("198.51.100.43", 5000))
    for method, path in _routes(clinic, portal=False):
        if method != "GET":
            continue
        url = _fill(path, 1)
        as_patient = patient.get(url, follow_redirects=False)  # type: ignore[attr-defined]
        as_nobody = anonymous.get(url, follow_redirects=False)
        assert as_patient.status_code == as_nobody.status_code, url
        assert as_patient.headers.get("location") == as_nobody.headers.get("location"), url
        assert SECRET_NAME not in as_patient.text, url


def test_a_patient_cookie_opens_nothing_of_the_api(
    clinic: Clinic,  # noqa: F811
    people: dict[str, object],
) -> None:
    served = create_clinic_app(
        Settings(database_url=clinic.settings.database_url, photo_dir=clinic.settings.photo_dir),
        database=clinic.database,
        clock=clinic.clock,
    )
    client = TestClient(served, follow_redirects=False)
    client.cookies.update(dict(people["first"].cookies))  # type: ignore[attr-defined]
    for url in ("/api/v1/patients", "/api/v1/patients/1", "/api/v1/audit", "/api/v1/auth/me"):
        response = client.get(url)
        assert response.status_code == 401, url
