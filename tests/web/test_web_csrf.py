"""Every form is protected against cross-site request forgery: a POST without this session's
token, with another session's token, or sent from another site is refused and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route
from tests.web.web_helpers import Clinic, appointment_now, new_patient, token

from microneedling.services import patients


def _routes(routes: list[Any]) -> list[Route]:
    """Every route, also inside included routers (however FastAPI wraps them)."""
    found: list[Route] = []
    for route in routes:
        if isinstance(route, Route):
            found.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            found.extend(_routes(list(inner.routes)))
    return found


def _posts(clinic: Clinic) -> list[str]:
    paths = {
        re.sub(r"\{[^}]+\}", "1", route.path)
        for route in _routes(list(clinic.app.routes))
        if "POST" in (route.methods or set())
    }
    return sorted(paths)


def test_the_application_has_forms_to_protect(clinic: Clinic) -> None:
    assert len(_posts(clinic)) >= 25


#: POSTs that take no form token by design, and why (each tested where it is named).
NO_TOKEN_BY_DESIGN = {
    # RFC 8058 one-click unsubscribe: the patient's mail program posts with no session; the
    # signed token in the path is the authority, and a forged one changes nothing
    # (tests/web/test_messages_unsubscribe.py).
    "/unsubscribe/1",
}


def test_every_post_without_the_token_is_refused(clinic: Clinic) -> None:
    client = clinic.signed_in("owner")
    for path in _posts(clinic):
        if path in NO_TOKEN_BY_DESIGN:
            forged = client.post(path, data={"status": "checked_in", "email": "x@y.z"})
            assert forged.status_code in (400, 404), (path, forged.status_code)
            continue
        response = client.post(path, data={"status": "checked_in", "email": "x@y.z"})
        assert response.status_code == 403, path
        assert "This form has expired" in response.text, path


def test_another_sessions_token_is_refused(clinic: Clinic) -> None:
    mine = clinic.signed_in("front_desk")
    theirs = clinic.signed_in("front_desk")
    before = len(patients.find_patients(clinic.uow(), clinic.front_desk, "Mallory"))
    response = mine.post(
        "/patients/new",
        data={
            "csrf_token": token(theirs),
            "given_name": "Mallory",
            "family_name": "Forged",
            "birth_date": "1980-01-01",
            "fitzpatrick": "2",
        },
    )
    assert response.status_code == 403
    after = len(patients.find_patients(clinic.uow(), clinic.front_desk, "Mallory"))
    assert after == before


def test_a_form_sent_from_another_site_is_refused_even_with_a_token(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    response = client.post(
        "/patients/new",
        data={"csrf_token": token(client), "given_name": "Eve"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_htmx_requests_carry_the_token_in_a_header(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    response = client.post(
        "/lots/check",
        data={"cartridge_lot": clinic.good_lot},
        headers={"HX-Request": "true", "X-CSRF-Token": token(client)},
    )
    assert response.status_code == 200
    assert "usable until" in response.text
    refused = client.post(
        "/lots/check",
        data={"cartridge_lot": clinic.good_lot},
        headers={"HX-Request": "true", "X-CSRF-Token": "wrong"},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize("status", ["checked_in", "cancelled"])
def test_a_status_change_without_the_token_changes_nothing(clinic: Clinic, status: str) -> None:
    from microneedling.services import appointments

    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("front_desk")
    client.post(f"/appointments/{appointment_id}/status", data={"status": status})
    current = appointments.read_appointment(clinic.uow(), clinic.front_desk, appointment_id)
    assert current["status"] == "scheduled"
