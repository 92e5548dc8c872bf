"""Getting into the portal: invitation, a one-time code (hashed, short-lived, single use,
limited), patient sessions apart from staff sessions, and no account enumeration."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from starlette.testclient import TestClient
from tests.portal.portal_helpers import (
    ask_code,
    give_code,
    invited_patient,
    last_code,
    patient_browser,
)
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, error_summary

from microneedling.services.portal import sign_in as signing_in
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import AuditEntry
from microneedling.store.portal_models import PortalCode, PortalSession


def _browser(clinic: Clinic, address: str = "198.51.100.9") -> TestClient:  # noqa: F811
    return TestClient(clinic.app, follow_redirects=True, client=(address, 50000))


def test_an_invited_patient_signs_in_with_the_code_sent_to_them(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "ines@example.org", given_name="Ines")
    with clinic.uow() as uow:
        kinds = [
            row.kind
            for row in uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.recipient == "ines@example.org")
            ).scalars()
        ]
    assert kinds == ["portal_invitation"]
    client = patient_browser(clinic, "Ines@Example.org ")
    home = client.get("/my")
    assert home.status_code == 200
    assert "Hello Ines" in home.text
    assert "Fill in the questionnaire" in home.text
    cookie = client.cookies.jar
    patient = [c for c in cookie if c.name == "microneedling_patient"]
    assert patient and patient[0].path == "/my"
    with clinic.uow() as uow:
        code = uow.session.execute(select(PortalCode)).scalars().first()
        assert code is not None and len(code.code_sha256) == 64 and code.used_at is not None
        entry = (
            uow.session.execute(select(AuditEntry).where(AuditEntry.action == "portal.sign_in"))
            .scalars()
            .one()
        )
        assert entry.actor_role == "patient" and entry.patient_id is not None


def test_a_code_works_once_and_expires(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "once@example.org")
    client = _browser(clinic)
    ask_code(client, "once@example.org")
    code = last_code(clinic, "once@example.org")
    assert give_code(client, "once@example.org", code).url.path == "/my"
    other = _browser(clinic, "198.51.100.10")
    again = give_code(other, "once@example.org", code)
    assert again.status_code == 422
    assert "not right, or it has expired or was already used" in again.text
    ask_code(other, "once@example.org")
    late = last_code(clinic, "once@example.org")
    clinic.clock.now += timedelta(minutes=signing_in.CODE_MINUTES, seconds=1)
    expired = give_code(other, "once@example.org", late)
    assert expired.status_code == 422 and "/my" not in str(expired.url.path == "/my")


def test_the_answer_is_the_same_for_an_unknown_address(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "known@example.org")
    known = ask_code(_browser(clinic), "known@example.org")
    unknown = ask_code(_browser(clinic, "198.51.100.11"), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: html.replace("known@example.org", "X").replace("nobody@example.org", "X")  # noqa: E731
    import re

    tokens = re.compile(r"[A-Za-z0-9_-]{40,}")
    assert tokens.sub("", strip(known.text)) == tokens.sub("", strip(unknown.text))


def test_wrong_codes_are_limited_per_address_with_a_clear_message(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "brute@example.org")
    client = _browser(clinic, "198.51.100.12")
    ask_code(client, "brute@example.org")
    real = last_code(clinic, "brute@example.org")
    wrong = "000000" if real != "000000" else "111111"
    for _ in range(signing_in.MAX_WRONG_PER_ADDRESS):
        assert give_code(client, "brute@example.org", wrong).status_code == 422
    refused = give_code(client, "brute@example.org", real)
    assert refused.status_code == 429
    assert any("too many wrong codes" in item.lower() for item in error_summary(refused.text))
    with clinic.uow() as uow:
        assert uow.session.execute(select(PortalSession)).scalars().all() == [] or all(
            s.patient_id != 0 for s in uow.session.execute(select(PortalSession)).scalars()
        )


def test_codes_asked_for_are_limited_per_address(clinic: Clinic) -> None:  # noqa: F811
    client = _browser(clinic, "198.51.100.13")
    for _ in range(signing_in.MAX_CODES_PER_ADDRESS):
        assert ask_code(client, "flood@example.org").status_code == 200
    refused = ask_code(client, "flood@example.org")
    assert refused.status_code == 429
    assert "too many codes" in refused.text.lower()


def test_bad_addresses_and_codes_get_clear_messages(clinic: Clinic) -> None:  # noqa: F811
    client = _browser(clinic, "198.51.100.14")
    for given, words in (
        ("", "enter your e-mail"),
        ("not an address", "does not look like"),
        ("a@b", "does not look like"),
        ("x" * 300, "too long"),
    ):
        response = ask_code(client, given)
        assert response.status_code == 422, given
        assert words in response.text, given
    for code, words in (("", "enter the code"), ("12ab56", "6 digits"), ("1234567", "6 digits")):
        response = give_code(client, "someone@example.org", code)
        assert response.status_code == 422 and words in response.text


def test_staff_and_patient_sessions_never_mix(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "apart@example.org")
    patient = patient_browser(clinic, "apart@example.org", "198.51.100.15")
    # The patient's cookie is not a staff session: staff pages send them to the staff sign-in.
    staff_page = patient.get("/patients", follow_redirects=False)
    assert staff_page.status_code == 303 and staff_page.headers["location"].startswith("/sign-in")
    # A staff browser is refused the portal.
    staff = clinic.signed_in("front_desk")
    refused = staff.get("/my", follow_redirects=False)
    assert refused.status_code == 403
    assert "for patients" in refused.text


def test_an_idle_patient_session_ends(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "idle@example.org")
    client = patient_browser(clinic, "idle@example.org", "198.51.100.16")
    clinic.clock.now += timedelta(minutes=31)
    response = client.get("/my", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/sign-in?ended=idle"
    page = client.get(response.headers["location"] + "&clinic=web")
    assert "without using the portal" in page.text


def test_signing_out_ends_the_session_everywhere(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "out@example.org")
    client = patient_browser(clinic, "out@example.org", "198.51.100.17")
    token = client.cookies.get("microneedling_patient")
    home = client.get("/my")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf
    client.post("/my/sign-out", data={"csrf_token": csrf.group(1)})
    copied = _browser(clinic, "198.51.100.18")
    copied.cookies.set("microneedling_patient", str(token), path="/my")
    assert copied.get("/my", follow_redirects=False).status_code == 303


def test_the_owners_audit_log_names_the_patient_as_the_actor(clinic: Clinic) -> None:  # noqa: F811
    invited_patient(clinic, "audited@example.org", given_name="Audra")
    patient_browser(clinic, "audited@example.org", "198.51.100.19")
    owner = clinic.signed_in("owner")
    log = owner.get("/admin/audit?action=portal.sign_in")
    assert log.status_code == 200
    assert "Audra Lovelace (patient portal) signed in" in log.text
    invited = owner.get("/admin/audit?action=portal.invite")
    assert "Dana Desk invited Audra Lovelace to the patient portal" in invited.text
