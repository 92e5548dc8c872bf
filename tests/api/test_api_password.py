"""Passwords and sign-ins through the API (issue 14): change your own password (every other
sign-in ends, this token stays), an owner's one-time reset (nothing else until it is changed),
an owner sees and ends a staff member's sign-ins; malformed, hostile and oversized input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from tests.api.conftest import API, Clinic

from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.models import AuditEntry, SignInFailure, StaffUser

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "lantern orchard velvet 42"


@pytest.fixture(autouse=True)
def no_earlier_failures(database: Database) -> Iterator[None]:
    with database.sessions() as session:
        session.execute(delete(SignInFailure))
        session.commit()
    yield


def _with_password(clinic: Clinic, role: str) -> str:
    actor = getattr(clinic.world, role)
    with clinic.world.database.sessions() as session, session.begin():
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == actor.staff_user_id)
            .values(password_hash=hash_password(PASSWORD))
        )
        user = session.get(StaffUser, actor.staff_user_id)
        assert user is not None
        return user.email


def _token(clinic: Clinic, email: str, password: str = PASSWORD) -> str:
    response = clinic.client.post(
        f"{API}/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _change(clinic: Clinic, token: str, body: Any) -> Any:
    return clinic.client.post(f"{API}/auth/password", json=body, headers=_bearer(token))


def test_changing_your_password_ends_every_other_token_and_keeps_this_one(
    clinic: Clinic,
) -> None:
    email = _with_password(clinic, "clinician")
    mine, other = _token(clinic, email), _token(clinic, email)
    response = _change(clinic, mine, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.text
    # The other sign-in, and the token the test clinic made for the clinician.
    assert response.json() == {"other_sign_ins_ended": 2}
    assert clinic.client.get(f"{API}/auth/me", headers=_bearer(mine)).status_code == 200
    for ended in (other, clinic.tokens["clinician"]):
        assert clinic.client.get(f"{API}/auth/me", headers=_bearer(ended)).status_code == 401
    refused = clinic.client.post(
        f"{API}/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert refused.status_code == 401
    _token(clinic, email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"current_password": "wrong", "new_password": NEW_PASSWORD}, 422, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, 422, "new_password"),
        ({"current_password": PASSWORD, "new_password": "password12345"}, 422, "new_password"),
        ({"current_password": PASSWORD, "new_password": PASSWORD}, 422, "new_password"),
        ({"current_password": PASSWORD, "new_password": "x" * 200}, 422, "new_password"),
        ({"current_password": PASSWORD}, 422, "new_password"),
        ({"new_password": NEW_PASSWORD}, 422, "current_password"),
        ({"current_password": PASSWORD, "new_password": 12345678901234}, 422, "new_password"),
        ({"current_password": "x" * 5000, "new_password": NEW_PASSWORD}, 422, "current_password"),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "role": "owner"},
            422,
            "role",
        ),
        ([], 422, None),
        ("text", 422, None),
    ],
)
def test_a_password_change_refuses_what_it_cannot_take(
    clinic: Clinic, body: Any, status: int, path: str | None
) -> None:
    email = _with_password(clinic, "front_desk")
    token = _token(clinic, email)
    response = _change(clinic, token, body)
    assert response.status_code == status, response.text
    problems = response.json().get("fields") or []
    if path is not None:
        assert any(path in problem["path"] for problem in problems) or path in str(
            response.json()
        ), response.json()
    assert PASSWORD not in response.text
    # Nothing changed: the old password still signs in.
    _token(clinic, email)


def test_a_password_change_needs_a_sign_in(clinic: Clinic) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert clinic.client.post(f"{API}/auth/password", json=body).status_code == 401
    assert _change(clinic, "not-a-token", body).status_code == 401


def test_an_owners_reset_gives_a_one_time_password_that_must_be_changed_first(
    clinic: Clinic, database: Database
) -> None:
    email = _with_password(clinic, "clinician")
    before = _token(clinic, email)
    staff_id = clinic.world.clinician.staff_user_id
    reset = clinic.post(f"/staff/{staff_id}/password-reset")
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["one_time_password"]
    assert clinic.client.get(f"{API}/auth/me", headers=_bearer(before)).status_code == 401
    token = _token(clinic, email, one_time)
    blocked = clinic.client.get(f"{API}/patients?text=Ada", headers=_bearer(token))
    assert blocked.status_code == 403
    assert "choose a new password first" in blocked.json()["message"]
    # Not even a computation that stores nothing; but who am I, yes.
    stateless = clinic.client.post(f"{API}/scores/mss", json={}, headers=_bearer(token))
    assert stateless.status_code == 403
    assert clinic.client.get(f"{API}/auth/me", headers=_bearer(token)).status_code == 200
    changed = _change(clinic, token, {"current_password": one_time, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert clinic.client.get(f"{API}/patients?text=Ada", headers=_bearer(token)).status_code == 200
    with database.sessions() as session:
        entry = (
            session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "staff.reset_password", AuditEntry.entity_id == staff_id
                )
                .order_by(AuditEntry.sequence.desc())
            )
            .scalars()
            .first()
        )
        assert entry is not None and one_time not in entry.details


@pytest.mark.parametrize("role", ["clinician", "front_desk", "other_owner"])
def test_only_the_clinics_owner_resets_passwords_and_sees_sign_ins(
    clinic: Clinic, role: str
) -> None:
    staff_id = clinic.world.front_desk.staff_user_id
    expected = 404 if role == "other_owner" else 403
    assert clinic.post(f"/staff/{staff_id}/password-reset", role).status_code == expected
    assert clinic.get(f"/staff/{staff_id}/sessions", role).status_code == expected
    assert clinic.post(f"/staff/{staff_id}/sessions/end", role, json={}).status_code == expected


@pytest.mark.parametrize("staff_id", ["0", "-1", "abc", "99999999999999999999", "1.5", "%00"])
def test_malformed_staff_ids_are_not_found(clinic: Clinic, staff_id: str) -> None:
    assert clinic.post(f"/staff/{staff_id}/password-reset").status_code in (404, 422)
    assert clinic.get(f"/staff/{staff_id}/sessions").status_code in (404, 422)


def test_an_owner_sees_and_ends_a_staff_members_sign_ins(clinic: Clinic) -> None:
    email = _with_password(clinic, "clinician2")
    token = _token(clinic, email)
    staff_id = clinic.world.clinician2.staff_user_id
    seen = clinic.get(f"/staff/{staff_id}/sessions")
    assert seen.status_code == 200
    assert seen.json()["open_api_tokens"] >= 1
    for body in ({"session_id": 0}, {"session_id": "x"}, {"everything": True}, [1]):
        assert clinic.post(f"/staff/{staff_id}/sessions/end", json=body).status_code == 422
    assert clinic.post(f"/staff/{staff_id}/sessions/end", json={"session_id": 2**31 - 1}
                       ).status_code == 404  # fmt: skip
    ended = clinic.post(f"/staff/{staff_id}/sessions/end", json={})
    assert ended.status_code == 200 and ended.json()["ended"] >= 1
    assert clinic.client.get(f"{API}/auth/me", headers=_bearer(token)).status_code == 401


def test_the_owner_cannot_reset_their_own_password_that_way(clinic: Clinic) -> None:
    response = clinic.post(f"/staff/{clinic.world.owner.staff_user_id}/password-reset")
    assert response.status_code == 422
    assert "current one" in response.json()["message"]
