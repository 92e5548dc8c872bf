"""Signing in and out: tokens that expire and can be revoked, the same answer for an unknown
e-mail as for a wrong password, lockout after repeated failures, and the audit of it all."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from tests.api.conftest import API, Clinic, MovableClock
from tests.integration.conftest import World

from microneedling.services import clinics
from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.models import AuditEntry, SignInFailure, StaffUser

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def no_earlier_failures(database: Database) -> Iterator[None]:
    """Failures are counted per client address, and every test client has the same one."""
    with database.sessions() as session:
        session.execute(delete(SignInFailure))
        session.commit()
    yield


def member(world: World, role: str = "clinician", password: str | None = PASSWORD) -> str:
    email = f"{uuid.uuid4().hex[:10]}@signin.example"
    clinics.add_staff_member(
        world.uow,
        world.owner,
        {"email": email, "display_name": "Member", "role": role, "password": password},
        clock=world.clock,
    )
    return email


def sign_in(
    clinic: Clinic, email: str, password: str = PASSWORD
) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = clinic.client.post(
        f"{API}/auth/token", data={"username": email, "password": password}
    )
    return response.status_code, response.json(), dict(response.headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit_after(database: Database, sequence: int) -> list[AuditEntry]:
    with database.sessions() as session:
        return list(
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.sequence > sequence)
                .order_by(AuditEntry.sequence)
            ).scalars()
        )


def last_sequence(database: Database) -> int:
    with database.sessions() as session:
        return max(session.execute(select(AuditEntry.sequence)).scalars(), default=0)


def test_signing_in_gives_a_bearer_token_that_opens_the_api(clinic: Clinic) -> None:
    email = member(clinic.world)
    status, body, _ = sign_in(clinic, email.upper())
    assert status == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 8 * 3600
    me = clinic.client.get(f"{API}/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email and me.json()["role"] == "clinician"
    assert me.json()["clinic"]["id"] == clinic.world.owner.clinic_id


def test_a_token_stops_working_when_it_expires(clinic: Clinic, clock: MovableClock) -> None:
    _, body, _ = sign_in(clinic, member(clinic.world))
    token = body["access_token"]
    clock.advance(timedelta(hours=8) - timedelta(seconds=1))
    assert clinic.client.get(f"{API}/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = clinic.client.get(f"{API}/auth/me", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["message"] == "sign in again: this token has expired"
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_signing_out_revokes_the_token_and_only_that_one(clinic: Clinic) -> None:
    email = member(clinic.world)
    first = sign_in(clinic, email)[1]["access_token"]
    second = sign_in(clinic, email)[1]["access_token"]
    assert clinic.client.post(f"{API}/auth/logout", headers=bearer(first)).status_code == 204
    revoked = clinic.client.get(f"{API}/patients", headers=bearer(first))
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "unauthenticated"
    assert clinic.client.get(f"{API}/patients", headers=bearer(second)).status_code == 200


def test_a_closed_account_is_signed_out_at_once(clinic: Clinic) -> None:
    email = member(clinic.world)
    token = sign_in(clinic, email)[1]["access_token"]
    with clinic.world.database.sessions() as session:
        user = session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one()
        user_id = user.id
    closed = clinic.post(f"/staff/{user_id}/deactivate", "owner")
    assert closed.status_code == 200 and closed.json()["active"] is False
    assert clinic.client.get(f"{API}/auth/me", headers=bearer(token)).status_code == 401
    assert sign_in(clinic, email)[0] == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000],
)
def test_a_missing_or_unknown_token_answers_401_with_the_error_body(
    clinic: Clinic, header: str
) -> None:
    response = clinic.client.get(f"{API}/patients", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json()) == {"error", "message", "fields"}


def test_an_unknown_e_mail_gets_exactly_the_answer_a_wrong_password_gets(clinic: Clinic) -> None:
    email = member(clinic.world)
    wrong = sign_in(clinic, email, "not the password")
    unknown = sign_in(clinic, f"nobody-{uuid.uuid4().hex[:6]}@nowhere.example", "not the password")
    assert wrong[0] == unknown[0] == 401
    assert (
        wrong[1]
        == unknown[1]
        == {
            "error": "unauthenticated",
            "message": "wrong e-mail or password",
            "fields": [],
        }
    )
    assert {k: v for k, v in wrong[2].items() if k != "content-length"} == {
        k: v for k, v in unknown[2].items() if k != "content-length"
    }


def test_an_unknown_e_mail_takes_as_long_as_a_wrong_password(clinic: Clinic) -> None:
    email = member(clinic.world)

    def seconds(address: str) -> float:
        started = time.perf_counter()
        sign_in(clinic, address, "not the password")
        return time.perf_counter() - started

    wrong, unknown = [], []
    for _ in range(4):  # the lockout counts 5 failures per e-mail; stay under it
        wrong.append(seconds(email))
        unknown.append(seconds(f"nobody-{uuid.uuid4().hex[:6]}@nowhere.example"))
    with clinic.world.database.sessions() as session:
        session.execute(delete(SignInFailure))
        session.commit()
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (
        f"unknown e-mail {statistics.median(unknown):.3f} s, wrong password {statistics.median(wrong):.3f} s"
    )


def test_a_closed_account_with_the_right_password_gets_the_same_answer(clinic: Clinic) -> None:
    email = member(clinic.world)
    with clinic.world.database.sessions() as session:
        session.execute(
            StaffUser.__table__.update().where(StaffUser.email == email).values(active=False)
        )
        session.commit()
    status, body, _ = sign_in(clinic, email)
    assert (status, body["message"]) == (401, "wrong e-mail or password")


def test_five_failures_lock_the_e_mail_for_fifteen_minutes_whether_or_not_it_exists(
    clinic: Clinic, clock: MovableClock
) -> None:
    real = member(clinic.world)
    ghost = f"ghost-{uuid.uuid4().hex[:6]}@nowhere.example"
    for address in (real, ghost):
        for _ in range(5):
            assert sign_in(clinic, address, "guess")[0] == 401
    answers = [sign_in(clinic, address, password) for address, password in
               ((real, PASSWORD), (ghost, "guess"))]  # fmt: skip
    for status, body, headers in answers:
        assert status == 429
        assert body["error"] == "too_many_requests"
        assert body["message"] == "too many failed sign-ins; try again in 15 minutes"
        assert headers["retry-after"] == str(15 * 60)
    # Another e-mail from the same address is not locked (that limit is higher).
    assert sign_in(clinic, member(clinic.world))[0] == 200
    clock.advance(timedelta(minutes=15))
    assert sign_in(clinic, real)[0] == 200


def test_a_successful_sign_in_clears_the_failures_of_that_e_mail(clinic: Clinic) -> None:
    email = member(clinic.world)
    for _ in range(4):
        sign_in(clinic, email, "guess")
    assert sign_in(clinic, email)[0] == 200
    for _ in range(4):
        assert sign_in(clinic, email, "guess")[0] == 401
    assert sign_in(clinic, email)[0] == 200


def test_twenty_failures_from_one_address_lock_that_address_for_any_e_mail(
    clinic: Clinic, clock: MovableClock
) -> None:
    for index in range(20):
        assert sign_in(clinic, f"spray-{index}-{uuid.uuid4().hex[:4]}@x.example", "guess")[0] == 401
    status, _, headers = sign_in(clinic, member(clinic.world))
    assert status == 429 and int(headers["retry-after"]) == 15 * 60
    clock.advance(timedelta(minutes=15, seconds=1))
    assert sign_in(clinic, member(clinic.world))[0] == 200


def test_sign_ins_and_failures_are_audited_without_the_password(clinic: Clinic) -> None:
    email = member(clinic.world)
    before = last_sequence(clinic.world.database)
    sign_in(clinic, email, "wrong-but-memorable")
    sign_in(clinic, "unknown@nowhere.example", "another-secret")
    token = sign_in(clinic, email)[1]["access_token"]
    clinic.client.post(f"{API}/auth/logout", headers=bearer(token))
    entries = audit_after(clinic.world.database, before)
    assert [entry.action for entry in entries] == [
        "account.sign_in_refused",
        "account.sign_in_refused",
        "account.sign_in",
        "account.sign_out",
    ]
    refused, unknown, signed_in, _ = entries
    assert refused.clinic_id == clinic.world.owner.clinic_id and refused.actor_id is not None
    assert '"wrong password"' in refused.details
    assert unknown.clinic_id is None and '"unknown e-mail"' in unknown.details
    assert signed_in.entity_type == "access_token"
    for entry in entries:
        for secret in ("wrong-but-memorable", "another-secret", PASSWORD, token):
            assert secret not in entry.details


def test_signing_in_upgrades_a_legacy_scrypt_hash_to_argon2(clinic: Clinic) -> None:
    email = member(clinic.world, password=None)
    with clinic.world.database.sessions() as session:
        session.execute(
            StaffUser.__table__.update()
            .where(StaffUser.email == email)
            .values(password_hash=hash_password(PASSWORD, log2_n=10))
        )
        session.commit()
    assert sign_in(clinic, email)[0] == 200
    with clinic.world.database.sessions() as session:
        stored = session.execute(
            select(StaffUser.password_hash).where(StaffUser.email == email)
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert sign_in(clinic, email)[0] == 200


def test_an_account_without_a_password_cannot_sign_in(clinic: Clinic) -> None:
    email = member(clinic.world, password=None)
    assert sign_in(clinic, email, "")[0] == 422  # the form needs a password
    assert sign_in(clinic, email, "anything at all")[0] == 401


def test_the_sign_in_form_is_validated_like_any_input(clinic: Clinic) -> None:
    response = clinic.client.post(f"{API}/auth/token", data={"username": "a@b.example"})
    assert response.status_code == 422
    assert response.json()["fields"] == [{"path": "password", "message": "is required"}]
