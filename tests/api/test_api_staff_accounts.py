"""Staff accounts through the API (issue 14, items 1 and 7): inviting a member, one answer (202
"invitation sent") for an e-mail with an account here, in another clinic or none, changing a role
(audited, carried by the member's tokens at once), closing an account; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from tests.api.conftest import Clinic

from microneedling.services import clinics
from microneedling.store.message_models import OutboxMessage

STRONG = "velvet lantern orbit cascade"


def new_member(**changes: Any) -> dict[str, Any]:
    return {
        "email": f"new-{uuid.uuid4().hex[:8]}@staff.example",
        "display_name": "Nadia Newcomer",
        "role": "clinician",
        **changes,
    }


def emails_of(clinic: Clinic) -> dict[str, str]:
    return {m["display_name"]: m["email"] for m in clinic.get("/staff").json()}


def sent_to(clinic: Clinic, address: str) -> str:
    """The text of the newest message queued to ``address``."""
    with clinic.world.uow:
        return str(
            clinic.world.uow.session.execute(
                select(OutboxMessage.body_text)
                .where(OutboxMessage.recipient == address)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            ).scalar_one()
        )


def test_an_e_mail_with_an_account_in_another_clinic_is_not_revealed(clinic: Clinic) -> None:
    other_email = clinic.other.unique("elsewhere") + "@x.example"
    here_email = clinic.world.unique("here") + "@x.example"
    new_email = clinic.world.unique("new") + "@x.example"
    clinics.add_staff_member(
        clinic.other.uow, clinic.other.owner,
        {**new_member(email=other_email), "password": STRONG}, clock=clinic.other.clock,
    )  # fmt: skip
    clinics.add_staff_member(
        clinic.world.uow, clinic.world.owner,
        {**new_member(email=here_email), "password": STRONG}, clock=clinic.world.clock,
    )  # fmt: skip
    answers = {
        email: clinic.post("/staff", json=new_member(email=email))
        for email in (here_email, other_email, new_email)
    }
    assert {response.status_code for response in answers.values()} == {202}
    shapes = [
        {k: v for k, v in r.json().items() if k not in ("id", "email")} for r in answers.values()
    ]
    assert shapes[0] == shapes[1] == shapes[2]
    assert shapes[0]["status"] == "invitation sent"
    for response in answers.values():
        assert "another clinic" not in response.text and "already" not in response.text
    # Upper case and spaces around it change nothing.
    shouted = clinic.post("/staff", json=new_member(email=f"  {other_email.upper()} "))
    assert shouted.status_code == 202 and shouted.json()["email"] == other_email
    # The address itself is told which it is.
    assert "you already have an account" in sent_to(clinic, other_email)
    assert "you already have an account" in sent_to(clinic, here_email)
    assert "/join/" in sent_to(clinic, new_email)
    # The owner's log says the same of each.
    log = clinic.get("/audit?limit=1000").json()["items"]
    invited = [item for item in log if item["action"] == "staff.invite"]
    assert len({(item["sentence"], str(item["details"])) for item in invited}) == 1


def test_an_invitation_sets_no_password_and_refuses_one(clinic: Clinic) -> None:
    response = clinic.post("/staff", json={**new_member(), "password": STRONG})
    assert response.status_code == 422
    assert "password" in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@y.example", "display_name": "X", "role": "admin"},
        {"email": "not-an-email", "display_name": "X", "role": "clinician"},
        {"email": "x@y.example", "display_name": "", "role": "clinician"},
        {"email": "x@y.example", "display_name": "X" * 201, "role": "clinician"},
        {"email": "x@y.example" * 50, "display_name": "X", "role": "clinician"},
        {"display_name": "X", "role": "clinician"},
        [],
    ],
)
def test_a_malformed_invitation_is_refused_with_422(clinic: Clinic, body: Any) -> None:
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
