"""Signing in and out, and sessions that end: after inactivity, at sign-out, when the account
is closed; cookies that are forged or replayed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from tests.web.web_helpers import PASSWORD, Clinic, TestClient, csrf_of, sign_in, token

from microneedling.api.app import create_app
from microneedling.services import clinics
from microneedling.store.models import AccessToken, AuditEntry
from microneedling.web import create_web_app
from microneedling.web.sessions import COOKIE
from microneedling.web.settings import WebSettings


def test_signing_in_shows_today_with_the_staff_members_name(clinic: Clinic) -> None:
    client = clinic.client()
    response = sign_in(client, clinic.emails["clinician"])
    assert response.status_code == 200
    assert str(response.url).endswith("/")
    assert "Dr Cleo Clinician" in response.text
    assert "Appointments" in response.text


def test_signing_in_to_the_pages_issues_no_api_token_but_is_audited(clinic: Clinic) -> None:
    def count(model: Any, **where: Any) -> int:
        with clinic.database.sessions() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return int(session.execute(query).scalar_one())

    member = clinic.clinician.staff_user_id
    tokens = count(AccessToken, staff_user_id=member)
    entries = count(AuditEntry, actor_id=member, action="account.sign_in")
    assert sign_in(clinic.client(), clinic.emails["clinician"]).status_code == 200
    assert count(AccessToken, staff_user_id=member) == tokens
    assert count(AuditEntry, actor_id=member, action="account.sign_in") == entries + 1


def test_a_page_asks_for_sign_in_and_comes_back_after_it(clinic: Clinic) -> None:
    client = clinic.client()
    response = client.get("/patients?q=Ada")
    assert "/sign-in?next=/patients" in str(response.url)
    page = response.text
    after = client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_of(page),
            "email": clinic.emails["front_desk"],
            "password": PASSWORD,
            "next": "/patients?q=Ada",
        },
    )
    assert after.url.path == "/patients"
    assert after.url.query == b"q=Ada"


def test_a_wrong_password_says_so_and_keeps_the_email_but_not_the_password(
    clinic: Clinic,
) -> None:
    client = clinic.client()
    response = sign_in(client, clinic.emails["clinician"], "not the password")
    assert response.status_code == 422
    assert "Wrong e-mail address or password" in response.text
    assert f'value="{clinic.emails["clinician"]}"' in response.text
    assert "not the password" not in response.text


def test_five_failed_sign_ins_lock_the_email_for_a_while(clinic: Clinic) -> None:
    client = clinic.client("10.0.0.1")
    email = "nobody-here@web.example"
    for _ in range(5):
        assert sign_in(client, email, "guess").status_code == 422
    locked = sign_in(client, email, "guess")
    assert locked.status_code == 429
    assert "Too many failed sign-ins; try again in 15 minutes." in locked.text
    clinic.clock.advance(minutes=16)
    assert sign_in(client, email, "guess").status_code == 422


def test_an_account_is_locked_the_same_whether_or_not_it_exists(clinic: Clinic) -> None:
    answers = []
    for email in (clinic.emails["front_desk"], "no-such-person@web.example"):
        client = clinic.client("10.0.0.2")
        for _ in range(5):
            sign_in(client, email, "guess")
        locked = sign_in(client, email, PASSWORD)  # even the right password waits
        answers.append((locked.status_code, "Too many failed sign-ins" in locked.text))
    assert answers == [(429, True), (429, True)]
    clinic.clock.advance(minutes=16)
    assert sign_in(clinic.client("10.0.0.2"), clinic.emails["front_desk"]).url.path == "/"


def test_web_and_api_failures_count_together_and_survive_a_restart(clinic: Clinic) -> None:
    email = clinic.emails["clinician"]
    address = ("10.0.0.3", 50000)
    # Past the window of any failure an earlier test of this module counted for this e-mail.
    clinic.clock.advance(minutes=16)
    api = TestClient(
        create_app(clinic.settings, database=clinic.database, clock=clinic.clock), client=address
    )
    for _ in range(3):
        refused = api.post("/api/v1/auth/token", data={"username": email, "password": "guess"})
        assert refused.status_code == 401
    web = clinic.client(address[0])
    for _ in range(2):
        assert sign_in(web, email, "guess").status_code == 422
    # The fifth failure (three through the API, two here) locks the e-mail for both.
    assert sign_in(web, email, PASSWORD).status_code == 429
    assert api.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD}
                    ).status_code == 429  # fmt: skip
    # A restarted web application (a new process) still knows: the count is in the database.
    restarted = create_web_app(
        clinic.settings,
        web_settings=WebSettings(secret_key="k" * 40),
        database=clinic.database,
        clock=clinic.clock,
    )
    assert sign_in(TestClient(restarted, client=address), email, PASSWORD).status_code == 429
    clinic.clock.advance(minutes=16)
    assert sign_in(web, email, PASSWORD).url.path == "/"


def test_the_session_ends_after_thirty_minutes_without_activity(clinic: Clinic) -> None:
    client = clinic.signed_in("clinician")
    clinic.clock.advance(minutes=29)
    assert client.get("/patients").url.path == "/patients"
    clinic.clock.advance(minutes=29)  # active 29 minutes ago: still signed in
    assert client.get("/patients").url.path == "/patients"
    clinic.clock.advance(minutes=31)
    response = client.get("/patients")
    assert response.url.path == "/sign-in"
    assert "signed out after 30 minutes without activity" in response.text


def test_signing_out_ends_the_session_and_a_copy_of_the_cookie_no_longer_works(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("clinician")
    copied = client.cookies.get(COOKIE)
    response = client.post("/sign-out", data={"csrf_token": token(client)})
    assert response.url.path == "/sign-in"
    assert "You are signed out" in response.text
    thief = clinic.client()
    thief.cookies.set(COOKIE, copied)
    assert thief.get("/patients").url.path == "/sign-in"


def test_a_forged_or_altered_cookie_is_ignored(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    value = client.cookies.get(COOKIE)
    assert value
    forger = clinic.client()
    altered = value[:-2] + ("xx" if not value.endswith("xx") else "yy")
    hostile = [
        altered,
        "garbage",
        "a" * 43,  # the shape of an id, but none issued
        value + "." + value,  # an id dressed as a signed value
        "x" * 5000,
        "%C3%A9" * 10,  # percent-encoded non-ASCII
        "",
    ]
    for cookie in hostile:
        forger.cookies.clear()
        forger.cookies.set(COOKIE, cookie)
        assert forger.get("/").url.path == "/sign-in", cookie[:50]
    # The anonymous cookie of the sign-in form cannot be turned into a signed-in one either.
    anonymous = clinic.client()
    anonymous.get("/sign-in")
    signed = anonymous.cookies.get(COOKIE)
    assert signed and signed.count(".") == 1
    body, mac = signed.split(".")
    tampered = clinic.client()
    tampered.cookies.set(COOKIE, body[:-2] + "xx." + mac)
    page = tampered.get("/sign-in")
    assert page.headers["set-cookie"].startswith(COOKIE + "=")  # a fresh one was issued
    assert csrf_of(page.text) != csrf_of(anonymous.get("/sign-in").text)


def test_a_closed_account_is_signed_out_at_its_next_request(clinic: Clinic) -> None:
    extra = clinics.add_staff_member(
        clinic.uow(),
        clinic.owner,
        {"email": "temp@web.example", "display_name": "Tem Porary", "role": "clinician",
         "password": PASSWORD},
        clock=clinic.clock,
    )  # fmt: skip
    client = clinic.client()
    sign_in(client, "temp@web.example")
    assert client.get("/patients").url.path == "/patients"
    clinics.deactivate_staff_member(clinic.uow(), clinic.owner, extra.staff_user_id)
    response = client.get("/patients")
    assert response.url.path == "/sign-in"
    assert "your account was closed" in response.text


def test_sign_in_only_returns_to_pages_of_this_site(clinic: Clinic) -> None:
    client = clinic.client()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        page = client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={
                "csrf_token": csrf_of(page.text),
                "email": clinic.emails["front_desk"],
                "password": PASSWORD,
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target
        client.post("/sign-out", data={"csrf_token": token(client)})


def test_the_session_cookie_is_http_only_and_same_site(clinic: Clinic) -> None:
    client = clinic.client()
    response = client.get("/sign-in")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
