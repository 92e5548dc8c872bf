"""An owner's staff page: adding a member under the password policy, changing a role, closing an
account; the refusals (your own account, another role, another clinic's member, no token) in
the staff's words."""

from __future__ import annotations

import html
import uuid
from typing import Any

import pytest
from tests.web.web_helpers import Clinic, sign_in, token

from microneedling.services import clinics
from microneedling.services.access import Actor

STRONG = "velvet lantern orbit cascade"


def add(client: Any, **changes: Any) -> Any:
    form = {
        "csrf_token": token(client, "/admin/staff"),
        "display_name": "Nadia Newcomer",
        "email": f"nadia-{uuid.uuid4().hex[:8]}@web.example",
        "role": "front_desk",
        "password": STRONG,
        **changes,
    }
    return client.post("/admin/staff", data=form)


def member(clinic: Clinic, role: str = "clinician") -> tuple[Actor, str]:
    email = f"member-{uuid.uuid4().hex[:8]}@web.example"
    actor = clinics.add_staff_member(
        clinic.uow(), clinic.owner,
        {"email": email, "display_name": "Mo Member", "role": role, "password": STRONG},
        clock=clinic.clock,
    )  # fmt: skip
    return actor, email


def role_of(clinic: Clinic, staff_id: int) -> tuple[str, bool]:
    found = {m["id"]: m for m in clinics.list_staff(clinic.uow(), clinic.owner, clock=clinic.clock)}
    return found[staff_id]["role"], found[staff_id]["active"]


def test_an_owner_adds_a_member_with_a_strong_password(clinic: Clinic) -> None:
    response = add(clinic.signed_in("owner"))
    assert response.status_code == 200
    assert "Nadia Newcomer can now sign in as front desk." in response.text


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("", "is required: give them a first password of at least 12 characters"),
        ("welcome123456", "too easy to guess"),
        ("elevenchars", "is too short: use at least 12 characters"),
        ("Nadia Newcomer Web", "words anyone would try first"),
        ("microneedling-demo", "published with the software"),
        ("q" * 10_000, "is too long: at most 128 characters"),
    ],
)
def test_a_weak_first_password_is_refused_saying_what_to_do(
    clinic: Clinic, password: str, says: str
) -> None:
    response = add(clinic.signed_in("owner"), password=password)
    assert response.status_code == 422
    assert says in html.unescape(response.text)
    assert f'value="{password}"' not in response.text or not password


def test_an_e_mail_with_an_account_elsewhere_gets_the_same_answer_as_one_here(
    clinic: Clinic,
) -> None:
    client = clinic.signed_in("owner")
    here = add(client, email=clinic.emails["clinician"])
    elsewhere = add(client, email=clinic.emails["other_owner"])
    assert here.status_code == elsewhere.status_code == 422
    said = [html.unescape(r.text) for r in (here, elsewhere)]
    assert all(clinics.EMAIL_TAKEN in text for text in said)
    assert "Other Clinic" not in said[1] and "another clinic" not in said[1]


def test_an_owner_changes_a_role_and_the_members_sign_in_carries_it_at_once(
    clinic: Clinic,
) -> None:
    target, email = member(clinic)
    theirs = clinic.client(address="10.0.0.7")
    sign_in(theirs, email, STRONG)
    assert theirs.get("/inventory").status_code == 200  # a clinician's page
    owner = clinic.signed_in("owner")
    page = owner.get("/admin/staff")
    assert 'aria-label="Change the role of Mo Member"' in page.text
    changed = owner.post(
        f"/admin/staff/{target.staff_user_id}/role",
        data={"csrf_token": token(owner, "/admin/staff"), "role": "front_desk"},
    )
    assert changed.status_code == 200
    assert "Mo Member is now front desk" in changed.text
    assert role_of(clinic, target.staff_user_id) == ("front_desk", True)
    after = theirs.get("/inventory")
    assert after.status_code == 403 or after.url.path == "/sign-in"


def test_an_owner_cannot_change_their_own_role_or_close_their_own_account(clinic: Clinic) -> None:
    owner = clinic.signed_in("owner")
    mine = clinic.owner.staff_user_id
    for path, data in ((f"/admin/staff/{mine}/role", {"role": "clinician"}),
                       (f"/admin/staff/{mine}/deactivate", {})):  # fmt: skip
        response = owner.post(path, data={"csrf_token": token(owner, "/admin/staff"), **data})
        assert response.status_code == 409
        assert "another owner can" in response.text
    assert role_of(clinic, mine) == ("owner", True)


@pytest.mark.parametrize("role", ["", "admin", "<script>", "owner" * 100])
def test_a_role_that_is_not_one_changes_nothing(clinic: Clinic, role: str) -> None:
    target, _ = member(clinic)
    owner = clinic.signed_in("owner")
    response = owner.post(
        f"/admin/staff/{target.staff_user_id}/role",
        data={"csrf_token": token(owner, "/admin/staff"), "role": role},
    )
    assert "Choose a role" in response.text and "<script>" not in response.text
    assert role_of(clinic, target.staff_user_id) == ("clinician", True)


def test_only_an_owner_changes_roles_and_only_in_their_clinic(clinic: Clinic) -> None:
    target, _ = member(clinic)
    desk = clinic.signed_in("clinician")
    refused = desk.post(
        f"/admin/staff/{target.staff_user_id}/role",
        data={"csrf_token": token(desk, "/"), "role": "owner"},
    )
    assert refused.status_code == 403
    owner = clinic.signed_in("owner")
    other = owner.post(
        f"/admin/staff/{clinic.other_owner.staff_user_id}/role",
        data={"csrf_token": token(owner, "/admin/staff"), "role": "clinician"},
    )
    assert other.status_code == 404
    for bad in ("0", "-1", "abc", "99999999999"):
        assert (
            owner.post(
                f"/admin/staff/{bad}/role",
                data={"csrf_token": token(owner, "/admin/staff"), "role": "owner"},
            ).status_code
            == 404
        )
    assert role_of(clinic, target.staff_user_id) == ("clinician", True)


def test_a_role_change_without_the_forms_token_is_refused(clinic: Clinic) -> None:
    target, _ = member(clinic)
    owner = clinic.signed_in("owner")
    response = owner.post(f"/admin/staff/{target.staff_user_id}/role", data={"role": "owner"})
    assert response.status_code == 403
    assert role_of(clinic, target.staff_user_id) == ("clinician", True)


def test_an_owner_closes_an_account(clinic: Clinic) -> None:
    target, _ = member(clinic)
    owner = clinic.signed_in("owner")
    closed = owner.post(
        f"/admin/staff/{target.staff_user_id}/deactivate",
        data={"csrf_token": token(owner, "/admin/staff")},
    )
    assert (
        "Mo Member&#39;s account is closed" in closed.text
        or "Mo Member's account is closed" in closed.text
    )
    assert role_of(clinic, target.staff_user_id) == ("clinician", False)
