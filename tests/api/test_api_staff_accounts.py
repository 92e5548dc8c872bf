"""Staff accounts through the API (issue 14, items 1 and 7): adding a member under the password
policy, one answer for an e-mail with an account here or in another clinic, changing a role
(audited, carried by the member's tokens at once), closing an account; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tests.api.conftest import Clinic

STRONG = "velvet lantern orbit cascade"


def new_member(**changes: Any) -> dict[str, Any]:
    return {
        "email": f"new-{uuid.uuid4().hex[:8]}@staff.example",
        "display_name": "Nadia Newcomer",
        "role": "clinician",
        "password": STRONG,
        **changes,
    }


def emails_of(clinic: Clinic) -> dict[str, str]:
    return {m["display_name"]: m["email"] for m in clinic.get("/staff").json()}


def test_an_e_mail_with_an_account_in_another_clinic_is_not_revealed(clinic: Clinic) -> None:
    other_email = clinic.other.unique("elsewhere") + "@x.example"
    here_email = clinic.world.unique("here") + "@x.example"
    assert clinic.post("/staff", json=new_member(email=here_email)).status_code == 201
    from microneedling.services import clinics

    clinics.add_staff_member(
        clinic.other.uow, clinic.other.owner, new_member(email=other_email),
        clock=clinic.other.clock,
    )  # fmt: skip
    here = clinic.post("/staff", json=new_member(email=here_email))
    elsewhere = clinic.post("/staff", json=new_member(email=other_email))
    assert here.status_code == elsewhere.status_code == 409
    assert here.json() == elsewhere.json()
    assert "another clinic" not in elsewhere.text and "already" not in elsewhere.text
    # Upper case and spaces around it change nothing.
    shouted = clinic.post("/staff", json=new_member(email=f"  {other_email.upper()} "))
    assert shouted.status_code == 409 and shouted.json() == here.json()


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short", "at least 12 characters"),
        ("password1234", "too easy to guess"),
        ("microneedling-demo", "published with the software"),
        ("z" * 129, "128"),
        ("Nadia Newcomer 2", "words anyone would try first"),
    ],
)
def test_a_weak_password_is_refused_with_advice_on_the_field(
    clinic: Clinic, password: str, says: str
) -> None:
    response = clinic.post("/staff", json=new_member(password=password))
    assert response.status_code == 422
    body = response.json()
    assert says in response.text
    assert "password" in str(body["fields"]), body


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@y.example", "display_name": "X", "role": "admin", "password": STRONG},
        {"email": "not-an-email", "display_name": "X", "role": "clinician", "password": STRONG},
        {"email": "x@y.example", "display_name": "X", "role": "clinician", "password": 123},
        {"email": "x@y.example", "display_name": "", "role": "clinician"},
        {"email": "x@y.example" * 50, "display_name": "X", "role": "clinician"},
        {"display_name": "X", "role": "clinician"},
        [],
    ],
)
def test_a_malformed_member_is_refused_with_422(clinic: Clinic, body: Any) -> None:
    assert clinic.post("/staff", json=body).status_code == 422


def test_an_owner_changes_a_role_and_the_members_token_carries_it(clinic: Clinic) -> None:
    member = clinic.world.clinician.staff_user_id
    assert clinic.get("/lots", role="clinician").status_code == 200
    changed = clinic.post(f"/staff/{member}/role", json={"role": "front_desk"})
    assert changed.status_code == 200 and changed.json()["role"] == "front_desk"
    assert clinic.get("/lots", role="clinician").status_code == 403
    log = clinic.get("/audit?limit=1000").json()["items"]
    assert any(
        item["action"] == "staff.change_role" and item["details"].get("from") == "clinician"
        for item in log
    )


@pytest.mark.parametrize("body", [{"role": "admin"}, {"role": ""}, {}, {"role": "owner", "x": 1}])
def test_a_role_change_that_is_not_one_is_refused(clinic: Clinic, body: Any) -> None:
    member = clinic.world.clinician.staff_user_id
    assert clinic.post(f"/staff/{member}/role", json=body).status_code == 422


def test_role_changes_are_for_owners_of_the_same_clinic_and_not_their_own(clinic: Clinic) -> None:
    member = clinic.world.clinician2.staff_user_id
    for role in ("clinician", "front_desk"):
        assert (
            clinic.post(f"/staff/{member}/role", role=role, json={"role": "owner"}).status_code
            == 403
        )
    other = clinic.other.clinician.staff_user_id
    assert clinic.post(f"/staff/{other}/role", json={"role": "owner"}).status_code == 404
    own = clinic.post(f"/staff/{clinic.world.owner.staff_user_id}/role", json={"role": "clinician"})
    assert own.status_code == 409 and "another owner can" in own.text
    closing_self = clinic.post(f"/staff/{clinic.world.owner.staff_user_id}/deactivate")
    assert closing_self.status_code == 409


def test_a_closed_members_token_stops_at_once(clinic: Clinic) -> None:
    member = clinic.world.front_desk.staff_user_id
    assert clinic.get("/patients?q=a", role="front_desk").status_code == 200
    assert clinic.post(f"/staff/{member}/deactivate").status_code == 200
    assert clinic.get("/patients?q=a", role="front_desk").status_code == 401
