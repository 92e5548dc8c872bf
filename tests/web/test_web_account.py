"""Your account in the pages: changing your password (every other session ends), an owner's
one-time reset (the account opens nothing but the password page until it is changed), an owner
seeing and ending a staff member's sign-ins; missing, malformed, hostile and oversized input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update
from tests.web.web_helpers import PASSWORD, Clinic, TestClient, csrf_of, sign_in, token

from microneedling.services.passwords import hash_password
from microneedling.store.models import AuditEntry, SignInFailure, StaffUser, WebSession

NEW_PASSWORD = "lantern orchard velvet 42"


@pytest.fixture(autouse=True)
def fresh_passwords(clinic: Clinic) -> None:
    """Every test starts with the fixture's passwords, no must-change and no failures."""
    with clinic.database.sessions() as session, session.begin():
        session.execute(
            update(StaffUser).values(
                password_hash=hash_password(PASSWORD), password_must_change=False
            )
        )
        session.execute(SignInFailure.__table__.delete())


def _change(client: TestClient, **fields: str) -> object:
    data = {"csrf_token": token(client, "/account/password"), **fields}
    return client.post("/account/password", data=data)


def test_the_account_page_shows_who_you_are_and_links_to_the_password_page(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("front_desk")
    home = client.get("/")
    assert 'href="/account"' in home.text
    page = client.get("/account")
    assert "Dana Desk" in page.text and clinic.emails["front_desk"] in page.text
    assert 'href="/account/password"' in page.text


def test_changing_your_password_keeps_this_browser_and_signs_out_the_others(
    clinic: Clinic,
) -> None:
    mine, other = clinic.signed_in("clinician"), clinic.signed_in("clinician")
    response = _change(
        mine,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )
    assert response.url.path == "/account"
    assert "Your password was changed. You were signed out everywhere else" in response.text
    assert mine.get("/patients").url.path == "/patients"
    ended = other.get("/patients")
    assert ended.url.path == "/sign-in"
    assert "the password of this account was changed" in ended.text
    assert sign_in(clinic.client(), clinic.emails["clinician"]).status_code == 422
    assert sign_in(clinic.client(), clinic.emails["clinician"], NEW_PASSWORD).url.path == "/"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({}, "Current password: is required"),
        ({"current_password": PASSWORD}, "New password: is required"),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
             "repeat_password": "something else"},
            "is not the same as the new password",
        ),
        (
            {"current_password": "wrong", "new_password": NEW_PASSWORD,
             "repeat_password": NEW_PASSWORD},
            "This is not your current password",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
            "at least 12 characters",
        ),
        (
            {"current_password": PASSWORD, "new_password": "x" * 3000,
             "repeat_password": "x" * 3000},
            "at most 128 characters",
        ),
        (
            {"current_password": PASSWORD, "new_password": "Dana Desk 2024!",
             "repeat_password": "Dana Desk 2024!"},
            "",
        ),
        (
            {"current_password": "x" * 100_000, "new_password": NEW_PASSWORD,
             "repeat_password": NEW_PASSWORD},
            "This is not your current password",
        ),
    ],
)  # fmt: skip
def test_a_password_change_that_cannot_be_made_says_why_and_echoes_no_password(
    clinic: Clinic, fields: dict[str, str], says: str
) -> None:
    client = clinic.signed_in("front_desk")
    response = _change(client, **fields)
    assert response.status_code == 422, response.text[:300]
    assert says in response.text
    for value in fields.values():
        assert f'value="{value}"' not in response.text
    assert client.get("/patients").url.path == "/patients"  # still signed in
    assert sign_in(clinic.client(), clinic.emails["front_desk"]).url.path == "/"  # unchanged


def test_a_password_change_without_the_forms_token_is_refused(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    fields = {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
              "repeat_password": NEW_PASSWORD}  # fmt: skip
    for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf_of(clinic.client().get(
            "/sign-in").text)}):  # fmt: skip
        assert client.post("/account/password", data={**fields, **bad}).status_code == 403
    assert sign_in(clinic.client(), clinic.emails["front_desk"]).url.path == "/"


def test_signed_out_browsers_are_sent_to_sign_in(clinic: Clinic) -> None:
    client = clinic.client()
    assert client.get("/account").url.path == "/sign-in"
    assert client.get("/account/password").url.path == "/sign-in"


def test_an_owner_resets_a_password_and_the_one_time_password_leads_to_the_password_page(
    clinic: Clinic,
) -> None:
    clinician = clinic.signed_in("clinician")
    owner = clinic.signed_in("owner")
    staff_id = clinic.clinician.staff_user_id
    page = owner.get(f"/admin/staff/{staff_id}/sign-ins")
    assert "Dr Cleo Clinician" in page.text and "Reset the password" in page.text
    reset = owner.post(
        f"/admin/staff/{staff_id}/password-reset", data={"csrf_token": csrf_of(page.text)}
    )
    found = re.search(r'id="one-time-password">([a-z2-9-]+)<', reset.text)
    assert found, reset.text[:500]
    one_time = found.group(1)
    assert "it is shown only this once" in reset.text
    assert reset.headers["cache-control"] == "no-store"
    # Shown once: the page again does not show it.
    assert one_time not in owner.get(f"/admin/staff/{staff_id}/sign-ins").text
    assert clinician.get("/patients").url.path == "/sign-in"
    fresh = clinic.client()
    arrived = sign_in(fresh, clinic.emails["clinician"], one_time)
    assert arrived.url.path == "/account/password"
    assert "An owner of the clinic reset your password" in arrived.text
    for path in ("/", "/patients", "/calendar", "/account"):
        assert fresh.get(path).url.path == "/account/password", path
    done = _change(
        fresh,
        current_password=one_time,
        new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )
    assert done.url.path == "/account"
    assert fresh.get("/patients").url.path == "/patients"
    with clinic.database.sessions() as session:
        actions = list(
            session.execute(
                select(AuditEntry.action).where(
                    AuditEntry.entity_type == "staff_user",
                    AuditEntry.entity_id == staff_id,
                    AuditEntry.action.in_(("staff.reset_password", "account.change_password")),
                )
            ).scalars()
        )
    assert actions[-2:] == ["staff.reset_password", "account.change_password"]


def test_an_owner_sees_where_a_member_is_signed_in_and_ends_it(clinic: Clinic) -> None:
    desk = clinic.client("10.20.30.40")
    desk.headers["user-agent"] = "Front desk tablet <script>alert(1)</script>"
    sign_in(desk, clinic.emails["front_desk"])
    owner = clinic.signed_in("owner")
    staff_id = clinic.front_desk.staff_user_id
    page = owner.get(f"/admin/staff/{staff_id}/sign-ins")
    assert "10.20.30.40" in page.text
    assert "Front desk tablet &lt;script&gt;" in page.text and "<script>alert" not in page.text
    with clinic.database.sessions() as session:
        session_id = session.execute(
            select(WebSession.id).where(
                WebSession.client == "10.20.30.40", WebSession.ended_at.is_(None)
            )
        ).scalar_one()
    ended = owner.post(
        f"/admin/staff/{staff_id}/sign-ins/{session_id}/end",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert "That sign-in was ended." in ended.text
    assert "ended by an owner" in ended.text
    response = desk.get("/patients")
    assert "signed out by an owner" in response.text
    sign_in(desk, clinic.emails["front_desk"])
    everything = owner.post(
        f"/admin/staff/{staff_id}/sign-ins/end", data={"csrf_token": token(owner)}
    )
    assert "Signed out everywhere" in everything.text
    assert desk.get("/patients").url.path == "/sign-in"


@pytest.mark.parametrize("role", ["clinician", "front_desk", "other_owner"])
def test_only_the_clinics_owners_see_sign_ins_or_reset_passwords(clinic: Clinic, role: str) -> None:
    client = clinic.signed_in(role)
    staff_id = clinic.front_desk.staff_user_id
    expected = 404 if role == "other_owner" else 403
    assert client.get(f"/admin/staff/{staff_id}/sign-ins").status_code == expected
    csrf = token(client)
    for path in (
        f"/admin/staff/{staff_id}/password-reset",
        f"/admin/staff/{staff_id}/sign-ins/end",
        f"/admin/staff/{staff_id}/sign-ins/1/end",
    ):
        assert client.post(path, data={"csrf_token": csrf}).status_code == expected, path
    assert sign_in(clinic.client(), clinic.emails["front_desk"]).url.path == "/"


@pytest.mark.parametrize("staff_id", ["0", "-1", "abc", "99999999999999", "%2e%2e", "1e3"])
def test_malformed_staff_ids_are_not_found(clinic: Clinic, staff_id: str) -> None:
    owner = clinic.signed_in("owner")
    assert owner.get(f"/admin/staff/{staff_id}/sign-ins").status_code == 404
    response = owner.post(
        f"/admin/staff/{staff_id}/password-reset", data={"csrf_token": token(owner)}
    )
    assert response.status_code == 404


def test_an_owner_cannot_reset_their_own_password_here(clinic: Clinic) -> None:
    owner = clinic.signed_in("owner")
    own = clinic.owner.staff_user_id
    page = owner.get(f"/admin/staff/{own}/sign-ins")
    assert "Reset the password" not in page.text
    refused = owner.post(f"/admin/staff/{own}/password-reset", data={"csrf_token": token(owner)})
    assert refused.status_code == 400
    assert "Your account" in refused.text
