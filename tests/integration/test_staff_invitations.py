"""Staff invitations (issue 14, item 7: adding staff does not reveal an address in use in another
clinic), on SQLite and PostgreSQL: the owner's answer and the audit entry are the same for a new
address, one of this clinic and one of another; the address is told which in its message; the
link works once (also with two at once), expires, and a made-up one gets the one answer; names
with bidirectional controls cannot reorder the message around them."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.conftest import World

from microneedling.errors import UserError
from microneedling.services import audit, clinics, staff_invitations
from microneedling.services.access import Role
from microneedling.services.clock import fixed_clock
from microneedling.services.staff_invitation_messages import invitation_text
from microneedling.store import UnitOfWork
from microneedling.store.message_models import OutboxMessage
from microneedling.text_direction import FSI, PDI

STRONG = "velvet lantern orbit cascade"


def invite(world: World, email: str, name: str = "Nadia Newcomer", **more: Any) -> dict[str, Any]:
    return staff_invitations.invite_staff_member(
        world.uow, world.owner,
        {"email": email, "display_name": name, "role": "clinician", **more}, clock=world.clock,
    )  # fmt: skip


def message_to(world: World, address: str) -> OutboxMessage:
    with world.uow:
        found = world.uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one()
        world.uow.session.expunge(found)
        return found


def token_of(message: OutboxMessage) -> str:
    found = re.search(r"/join/([A-Za-z0-9_-]+)", message.body_text or "")
    assert found is not None, message.body_text
    return found.group(1)


def test_the_owner_learns_nothing_of_where_an_address_has_an_account(
    world: World, other_world: World
) -> None:
    here = f"{world.unique('here')}@x.example"
    elsewhere = f"{world.unique('elsewhere')}@x.example"
    new = f"{world.unique('new')}@x.example"
    for where, email in ((world, here), (other_world, elsewhere)):
        clinics.add_staff_member(
            where.uow, where.owner,
            {"email": email, "display_name": "Taken", "role": "clinician", "password": STRONG},
            clock=where.clock,
        )  # fmt: skip
    answers = [invite(world, email) for email in (here, elsewhere, new)]
    shapes = [{k: v for k, v in a.items() if k not in ("id", "email")} for a in answers]
    assert shapes[0] == shapes[1] == shapes[2]
    assert shapes[0]["status"] == "invitation sent"
    entries = [
        item
        for item in audit.audit_log(world.uow, world.owner, clock=world.clock)["items"]
        if item["action"] == "staff.invite"
    ]
    assert len(entries) == 3
    assert len({(e["sentence"], str(e["details"]), e["entity"][:17]) for e in entries}) == 1
    messages = [message_to(world, email) for email in (here, elsewhere, new)]
    assert len({(m.kind, m.subject, m.channel, m.status) for m in messages}) == 1
    for message in messages[:2]:
        assert "you already have an account" in (message.body_text or "")
        assert "/join/" not in (message.body_text or "")
        assert other_world.unique("x") not in (message.body_text or "")
    listed = staff_invitations.staff_and_invitations(world.uow, world.owner, clock=world.clock)
    assert {item["email"] for item in listed["invitations"]} >= {here, elsewhere, new}


def test_the_link_makes_the_account_once_and_the_new_member_signs_in(world: World) -> None:
    email = f"{world.unique('nadia')}@x.example"
    invite(world, email)
    token = token_of(message_to(world, email))
    shown = staff_invitations.read_invitation(world.uow, token, clock=world.clock)
    assert (shown["email"], shown["display_name"], shown["role"]) == (
        email, "Nadia Newcomer", "clinician",
    )  # fmt: skip
    with pytest.raises(UserError, match="too easy to guess"):
        staff_invitations.accept_invitation(world.uow, token, "password1234", clock=world.clock)
    actor = staff_invitations.accept_invitation(world.uow, token, STRONG, clock=world.clock)
    assert actor.role is Role.CLINICIAN and actor.clinic_id == world.owner.clinic_id
    assert clinics.sign_in(world.uow, email, STRONG).staff_user_id == actor.staff_user_id
    with pytest.raises(UserError, match="cannot be used"):
        staff_invitations.accept_invitation(world.uow, token, STRONG, clock=world.clock)
    sentences = [
        item["sentence"]
        for item in audit.audit_log(world.uow, world.owner, clock=world.clock)["items"]
    ]
    assert "Nadia Newcomer accepted an invitation and joined as clinician" in sentences


def test_two_uses_of_one_link_at_once_make_one_account(world: World) -> None:
    email = f"{world.unique('twice')}@x.example"
    invite(world, email)
    token = token_of(message_to(world, email))
    outcomes: list[str] = []

    def accept() -> None:
        uow = UnitOfWork(world.database, world.uow.photos)
        try:
            staff_invitations.accept_invitation(uow, token, STRONG, clock=world.clock)
            outcomes.append("made")
        except UserError as error:
            outcomes.append(error.message)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("made") == 1, outcomes
    assert all(o == "made" or "cannot be used" in o or "busy" in o for o in outcomes), outcomes


def test_a_link_expires_after_seven_days(world: World) -> None:
    email = f"{world.unique('late')}@x.example"
    invite(world, email)
    token = token_of(message_to(world, email))
    later = fixed_clock(world.clock() + timedelta(days=staff_invitations.INVITATION_DAYS))
    with pytest.raises(UserError, match="cannot be used"):
        staff_invitations.read_invitation(world.uow, token, clock=later)
    with pytest.raises(UserError, match="cannot be used"):
        staff_invitations.accept_invitation(world.uow, token, STRONG, clock=later)


def test_an_address_that_got_an_account_meanwhile_cannot_use_the_link(
    world: World, other_world: World
) -> None:
    email = f"{world.unique('meanwhile')}@x.example"
    invite(world, email)
    token = token_of(message_to(world, email))
    clinics.add_staff_member(
        other_world.uow, other_world.owner,
        {"email": email, "display_name": "Elsewhere", "role": "clinician", "password": STRONG},
        clock=other_world.clock,
    )  # fmt: skip
    with pytest.raises(UserError, match="cannot be used"):
        staff_invitations.accept_invitation(world.uow, token, STRONG, clock=world.clock)


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 43, "A" * 10_000, "../../etc/passwd", "\u202e" * 30, None, 12]
)
def test_a_made_up_link_gets_the_one_answer(world: World, token: Any) -> None:
    with pytest.raises(UserError, match="cannot be used"):
        staff_invitations.read_invitation(world.uow, token, clock=world.clock)
    with pytest.raises(UserError):
        staff_invitations.accept_invitation(world.uow, token, STRONG, clock=world.clock)


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("display_name", ""), ("display_name", "n" * 201),
     ("role", "admin"), ("password", STRONG)],
)  # fmt: skip
def test_a_bad_invitation_is_refused_and_queues_nothing(
    world: World, field: str, value: str
) -> None:
    email = f"{world.unique('bad')}@x.example"
    body = {"email": email, "display_name": "Nadia", "role": "clinician", field: value}
    with pytest.raises(UserError):
        staff_invitations.invite_staff_member(world.uow, world.owner, body, clock=world.clock)
    with world.uow:
        queued = world.uow.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.recipient == email)
        ).all()
    assert queued == []


def test_only_owners_invite(world: World) -> None:
    for actor in (world.clinician, world.front_desk):
        with pytest.raises(UserError):
            staff_invitations.invite_staff_member(
                world.uow, actor,
                {"email": f"{world.unique('x')}@x.example", "display_name": "X",
                 "role": "owner"},
                clock=world.clock,
            )  # fmt: skip


def test_a_hostile_name_cannot_reorder_the_invitation_around_it() -> None:
    hostile = "Eve\u202e nimda \u2066"
    text = invitation_text("Clinic \u202bعيادة", hostile, Role.OWNER, "/join/abc", 7)
    assert f"Dear {FSI}Eve nimda {PDI}," in text
    assert "\u202e" not in text and "\u202b" not in text
    assert text.count(FSI) == text.count(PDI)
