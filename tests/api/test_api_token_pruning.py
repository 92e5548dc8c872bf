"""Expired bearer tokens do not pile up: each sign-in deletes the tokens (anyone's) that expired
more than a day before; one that expired less recently still answers "this token has expired"."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select
from tests.api.conftest import API, Clinic, MovableClock

from microneedling.services import clinics
from microneedling.services.sign_in import EXPIRED_TOKENS_KEPT
from microneedling.store import Database
from microneedling.store.models import AccessToken, SignInFailure

PASSWORD = "pruning password of some length"
LIFETIME = timedelta(hours=8)


def new_member(clinic: Clinic) -> str:
    email = f"{uuid.uuid4().hex[:10]}@pruning.example"
    clinics.add_staff_member(
        clinic.world.uow,
        clinic.world.owner,
        {"email": email, "display_name": "Member", "role": "clinician", "password": PASSWORD},
        clock=clinic.world.clock,
    )
    return email


def signed_in(clinic: Clinic, email: str) -> str:
    response = clinic.client.post(
        f"{API}/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def stored(database: Database, token: str) -> bool:
    digest = hashlib.sha256(token.encode()).hexdigest()
    with database.sessions() as session:
        count = session.execute(
            select(func.count()).select_from(AccessToken).where(AccessToken.token_sha256 == digest)
        ).scalar_one()
    return count == 1


def answer(clinic: Clinic, token: str) -> tuple[int, str]:
    response = clinic.client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("message", "")


def test_a_sign_in_deletes_tokens_expired_more_than_a_day_before(
    clinic: Clinic, clock: MovableClock, database: Database
) -> None:
    assert timedelta(days=1) == EXPIRED_TOKENS_KEPT
    email = new_member(clinic)
    old = signed_in(clinic, email)

    # Expired, but less than a day ago: kept, and it says why it no longer works.
    clock.advance(LIFETIME + EXPIRED_TOKENS_KEPT - timedelta(seconds=1))
    recent = signed_in(clinic, email)
    assert stored(database, old)
    assert answer(clinic, old) == (401, "sign in again: this token has expired")

    # More than a day after it expired, the next sign-in (anyone's) deletes it.
    clock.advance(timedelta(seconds=2))
    assert stored(database, old)
    signed_in(clinic, new_member(clinic))
    assert not stored(database, old)
    assert answer(clinic, old) == (401, "sign in again: this token is unknown")

    # Tokens still valid, or expired only recently, are left alone.
    assert stored(database, recent)
    assert answer(clinic, recent)[0] == 200


def test_a_revoked_token_is_deleted_only_once_it_has_expired_a_day(
    clinic: Clinic, clock: MovableClock, database: Database
) -> None:
    email = new_member(clinic)
    token = signed_in(clinic, email)
    logout = clinic.client.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert logout.status_code == 204
    signed_in(clinic, email)
    assert stored(database, token)
    assert answer(clinic, token) == (401, "sign in again: this token was signed out")

    clock.advance(LIFETIME + EXPIRED_TOKENS_KEPT + timedelta(seconds=1))
    signed_in(clinic, email)
    assert not stored(database, token)


def test_a_refused_sign_in_deletes_nothing(
    clinic: Clinic, clock: MovableClock, database: Database
) -> None:
    email = new_member(clinic)
    token = signed_in(clinic, email)
    clock.advance(LIFETIME + EXPIRED_TOKENS_KEPT + timedelta(seconds=1))
    try:
        refused = clinic.client.post(
            f"{API}/auth/token", data={"username": email, "password": "not the password"}
        )
        assert refused.status_code == 401
        assert stored(database, token)
    finally:  # the failure is counted against the test client's address: not for later tests
        with database.sessions() as session:
            session.execute(delete(SignInFailure))
            session.commit()
