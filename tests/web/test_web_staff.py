"""An owner's staff page: inviting a member (the same answer whatever the address; the link lets
them choose a password under the policy, once, for seven days), changing a role, closing an
account; the refusals (your own account, another role, another clinic's member, no token) in
the staff's words."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from tests.web.web_helpers import Clinic, csrf_of, error_summary, sign_in, token

from microneedling.services import clinics
from microneedling.services.access import Actor
from microneedling.store.message_models import OutboxMessage

STRONG = "velvet lantern orbit cascade"


def add(client: Any, **changes: Any) -> Any:
    form = {
        "csrf_token": token(client, "/admin/staff"),
        "display_name": "Nadia Newcomer",
        "email": f"nadia-{uuid.uuid4().hex[:8]}@web.example",
        "role": "front_desk",
        **changes,
    }
    return client.post("/admin/staff", data=form)


def message_to(clinic: Clinic, address: str) -> OutboxMessage:
    """The newest message queued to ``address``."""
    uow = clinic.uow()
    with uow:
        found = uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one()
        uow.session.expunge(found)
        return found


def link_in(message: OutboxMessage) -> str:
    found = re.search(r"(/join/[A-Za-z0-9_-]+)", message.body_text or "")
    assert found is not None, message.body_text
    return found.group(1)


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


def test_an_invitation_is_sent_and_its_link_lets_them_choose_a_password_once(
    clinic: Clinic,
) -> None:
    owner = clinic.signed_in("owner")
    email = f"nadia-{uuid.uuid4().hex[:8]}@web.example"
    response = add(owner, email=email)
    assert response.status_code == 200
    assert f"Invitation sent to {email}" in response.text
    assert email in response.text.split("Invitations sent", 1)[1]  # listed as sent
    message = message_to(clinic, email)
    assert (message.kind, message.channel, message.status) == (
        "staff_invitation",
        "email",
        "queued",
    )
    assert message.patient_id is None
    link = link_in(message)
    newcomer = clinic.client(address="10.0.0.31")
    page = newcomer.get(link)
    assert page.status_code == 200
    assert "Join the staff of" in page.text and "Nadia Newcomer" in page.text
    csrf = csrf_of(page.text)
    weak = newcomer.post(link, data={"csrf_token": csrf, "password": "welcome123456",
                                     "password_again": "welcome123456"})  # fmt: skip
    assert weak.status_code == 422 and "too easy to guess" in html.unescape(weak.text)
    differ = newcomer.post(link, data={"csrf_token": csrf, "password": STRONG,
                                       "password_again": STRONG + "x"})  # fmt: skip
    assert differ.status_code == 422 and "is not the same as the password" in differ.text
    done = newcomer.post(link, data={"csrf_token": csrf, "password": STRONG,
                                     "password_again": STRONG})  # fmt: skip
    assert done.status_code == 200 and done.url.path == "/sign-in"
    assert "Your account is ready" in done.text
    signed = sign_in(clinic.client(address="10.0.0.32"), email, STRONG)
    assert signed.url.path != "/sign-in"
    again = clinic.client(address="10.0.0.33")
    assert again.get(link).status_code == 410
    refused = again.post(link, data={"csrf_token": token(again, "/sign-in"),
                                     "password": STRONG, "password_again": STRONG})  # fmt: skip
    assert refused.status_code == 410
    assert "cannot be used" in html.unescape(refused.text)


def test_an_invitation_link_expires_after_seven_days(clinic: Clinic) -> None:
    email = f"late-{uuid.uuid4().hex[:8]}@web.example"
    add(clinic.signed_in("owner"), email=email)
    link = link_in(message_to(clinic, email))
    clinic.clock.advance(days=7, seconds=1)
    try:
        assert clinic.client(address="10.0.0.34").get(link).status_code == 410
    finally:
        clinic.clock.advance(days=-7, seconds=-1)


@pytest.mark.parametrize("link", ["/join/x", "/join/" + "A" * 43, "/join/" + "A" * 5000])
def test_a_made_up_or_oversized_link_gets_the_one_answer(clinic: Clinic, link: str) -> None:
    response = clinic.client(address="10.0.0.35").get(link)
    assert response.status_code in (410, 422)
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email", "", "E-mail address"),
        ("email", "not-an-address", "E-mail address"),
        ("display_name", "", "Name"),
        ("display_name", "n" * 5000, "Name"),
        ("role", "admin", "Role"),
    ],
)
def test_a_bad_invitation_is_refused_and_sends_nothing(
    clinic: Clinic, field: str, value: str, says: str
) -> None:
    email = f"bad-{uuid.uuid4().hex[:8]}@web.example"
    response = add(clinic.signed_in("owner"), **{"email": email, field: value})
    assert response.status_code == 422
    assert says in error_summary(response.text)[0]
    uow = clinic.uow()
    with uow:
        sent = uow.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.recipient.in_([email, value]))
        ).all()
    assert sent == []


def test_an_address_with_an_account_here_or_elsewhere_gets_the_same_answer_as_a_new_one(
    clinic: Clinic,
) -> None:
    owner = clinic.signed_in("owner")
    addresses = {
        "here": clinic.emails["clinician"],
        "elsewhere": clinic.emails["other_owner"],
        "new": f"fresh-{uuid.uuid4().hex[:8]}@web.example",
    }
    pages = {}
    for where, email in addresses.items():
        response = add(owner, email=email, display_name="Sam Same")
        assert response.status_code == 200
        # The page up to the list of invitations (which grows by one each time).
        before_list = response.text.split("Invitations sent")[0]
        pages[where] = re.sub(r"[\w.+-]+@[\w.-]+", "ADDRESS", before_list)
        pages[where] = re.sub(r'name="csrf_token" value="[^"]*"', "", pages[where])
        pages[where] = re.sub(r"\d{1,2} \w{3} \d{4}[^<]*", "WHEN", pages[where])
    assert pages["here"] == pages["elsewhere"] == pages["new"]
    messages = {where: message_to(clinic, email) for where, email in addresses.items()}
    assert {m.kind for m in messages.values()} == {"staff_invitation"}
    assert len({m.subject for m in messages.values()}) == 1
    for where in ("here", "elsewhere"):
        text = messages[where].body_text or ""
        assert "you already have an account" in text and "/join/" not in text
        assert "Other Clinic" not in text
    assert "/join/" in (messages["new"].body_text or "")


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
